using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Policy;

namespace Capstan.Core.Tests;

public sealed class ParserTests
{
    private static readonly ConfigSnapshot Config = new ConfigLoader([]).Load("c0ffee", DateTimeOffset.UnixEpoch, DemoSeed.Files([]));
    private static readonly ArgumentContext Context = new(Config, ["ops", "dev"]);

    private static readonly Argument<AppName> App = new("app", ArgumentKind.Named("app", _ => ["api", "web"]).As(name => new AppName(name)));
    private static readonly Argument<string> Version = new("version", ArgumentKind.Version);
    private static readonly Argument<EnvironmentName> Env = new("env", ArgumentKind.Environment);
    private static readonly Argument<TimeSpan> Timeout = new("timeout", ArgumentKind.Duration);
    private static readonly Argument<string> Reason = new("reason", ArgumentKind.Text);
    private static readonly FlagSpec Force = new("force", "skip the lock");

    private static CommandRegistry Registry()
    {
        var r = new CommandRegistry();
        new CoreCommands().Register(r);
        r.Add(new CommandSpec("deploy", "Delivery", "Deploy a version")
            .Required(App)
            .Required(Version)
            .Keyword("to", Env, required: true)
            .Flag(Force)
            .Optional(Timeout)
            .Example("deploy api 1.4.2 to prod"));
        r.Add(new CommandSpec("lock", "Delivery", "Lock an environment").Required(Env).Rest(Reason, true));
        return r;
    }

    private static ParsedCommand Parsed(string text)
    {
        var o = CommandParser.Parse(text, Registry(), Context, addressed: true);
        return Assert.IsType<ParseOutcome.Command>(o).Parsed;
    }

    private static string Problem(string text)
    {
        var o = CommandParser.Parse(text, Registry(), Context, addressed: true);
        return Assert.IsType<ParseOutcome.Problem>(o).Message;
    }

    [Fact]
    public void Typed_positional_keyword_flag_and_key_value_arguments_are_bound()
    {
        var p = Parsed("deploy api v1.4.2 to prod --force timeout=90s");
        Assert.Equal(new AppName("api"), p.Get(App));
        Assert.Equal("1.4.2", p.Get(Version));
        Assert.Equal(new EnvironmentName("prod"), p.Get(Env));
        Assert.Equal("prod", p.Environment);
        Assert.True(p.Has(Force));
        Assert.Equal(TimeSpan.FromSeconds(90), p.Get(Timeout));
    }

    [Fact]
    public void Keywords_and_options_can_come_in_any_order()
    {
        var p = Parsed("deploy --timeout=2m api to staging 2.0.0-rc.1");
        Assert.Equal(new EnvironmentName("staging"), p.Get(Env));
        Assert.Equal("2.0.0-rc.1", p.Get(Version));
        Assert.Equal(TimeSpan.FromMinutes(2), p.Get(Timeout));
    }

    [Fact]
    public void History_takes_count_room_and_person()
    {
        var p = Parsed("history 20 in ops by @bob");
        Assert.Equal("20", p.Get(CoreCommands.What));
        Assert.Equal("ops", p.Get(CoreCommands.Place));
        Assert.Equal("bob", p.Get(CoreCommands.Person));
    }

    [Fact]
    public void Quoted_rest_of_line_keeps_spaces()
    {
        var p = Parsed("lock prod \"db migration\" until noon");
        Assert.Equal("db migration until noon", p.Get(Reason));
    }

    [Fact]
    public void An_argument_declared_as_an_app_or_environment_arrives_as_one_and_is_recorded_as_its_name()
    {
        var p = Parsed("deploy API 1.4.2 to prod");
        AppName app = p.Get(App);
        EnvironmentName env = p.Get(Env);
        Assert.Equal("api", app.Value); // spelled as declared, whatever the case typed
        Assert.Equal("prod", env.Value);
        Assert.Equal("deploy api 1.4.2 to prod", $"deploy {app} {p.Get(Version)} to {env}");
        var recorded = p.ForLedger();
        Assert.Equal("api", recorded["app"]);
        Assert.Equal("prod", recorded["env"]);
        Assert.False(p.Has(Force));
        Assert.Equal(TimeSpan.FromMinutes(5), p.Get(Timeout, TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public void A_handler_reading_an_argument_its_command_does_not_declare_is_stopped_with_a_sentence()
    {
        var p = Parsed("deploy api 1.4.2 to prod");
        var undeclared = Assert.Throws<InvalidOperationException>(() => p.Get(new Argument<string>("branch", ArgumentKind.Text)));
        Assert.Equal("'deploy' declares no argument BRANCH.", undeclared.Message);
        var mistyped = Assert.Throws<InvalidOperationException>(() => p.Get(new Argument<string>("app", ArgumentKind.Text)));
        Assert.StartsWith("'deploy' holds APP as AppName, not String", mistyped.Message);
        var flag = Assert.Throws<InvalidOperationException>(() => p.Has(new FlagSpec("dry-run", "only show")));
        Assert.Equal("'deploy' has no flag --dry-run.", flag.Message);
    }

    [Theory]
    [InlineData("deplyo api 1.0.0 to prod", "did you mean 'deploy'")]
    [InlineData("deploy apii 1.0.0 to prod", "unknown app 'apii' — did you mean 'api'? Known apps: api, web")]
    [InlineData("deploy api one to prod", "'one' is not a semantic version")]
    [InlineData("deploy api 1.0.0 to prdo", "unknown environment 'prdo' — did you mean 'prod'?")]
    [InlineData("deploy api 1.0.0 to prod --forse", "unknown option --forse for 'deploy' — did you mean --force?")]
    [InlineData("help --frob", "Unknown option --frob for 'help'. Its options are: --command=…. Usage:")]
    [InlineData("deploy api 1.0.0", "'deploy' needs ENV")]
    [InlineData("deploy api 1.0.0 to prod timeout=soon", "'soon' is not a duration")]
    [InlineData("history 20 by nobody", "unknown person 'nobody'")]
    [InlineData("history 5 10 20", "I did not expect '20' here")]
    [InlineData("deploy api \"1.0.0 to prod", "is never closed")]
    [InlineData("deploy api 1.0.0\u0007 to prod", "control character (U+0007)")]
    [InlineData("token revok bob", "did you mean 'token revoke'?")]
    public void Bad_input_gets_a_sentence_that_says_what_to_do(string text, string expected)
    {
        Assert.Contains(expected, Problem(text), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("say it's fixed, don't panic", new[] { "say", "it's", "fixed,", "don't", "panic" })]
    [InlineData("say 'two words' and 'one'", new[] { "say", "two words", "and", "one" })]
    [InlineData("say \"it's quoted\"", new[] { "say", "it's quoted" })]
    public void An_apostrophe_inside_a_word_is_part_of_it_and_a_quote_at_the_start_of_one_groups_words(string text, string[] words)
    {
        var (split, error) = Tokenizer.Split(text);
        Assert.Null(error);
        Assert.Equal(words, split);
    }

    [Theory]
    [InlineData("severity", "Known severities: sev1, sev2")]
    [InlineData("branch", "Known branches: sev1, sev2")]
    [InlineData("app", "Known apps: sev1, sev2")]
    public void Unknown_names_list_the_known_ones_in_plain_english(string what, string expected)
    {
        Assert.Contains(expected, ArgumentKind.Unknown(what, "sev9", ["sev2", "sev1"]));
    }

    [Fact]
    public void An_unknown_name_with_nothing_near_it_is_a_sentence_of_its_own()
    {
        Assert.Equal("unknown product 'shop'. Known products: none yet", ArgumentKind.Unknown("product", "shop", []));
        Assert.Equal("unknown app 'apii' — did you mean 'api'? Known apps: api, web", ArgumentKind.Unknown("app", "apii", ["web", "api"]));
    }

    [Fact]
    public void A_single_quote_that_opens_a_word_and_is_never_closed_is_still_reported()
    {
        Assert.Contains("is never closed", Tokenizer.Split("say 'hello there").Error);
    }

    [Fact]
    public void Problems_show_usage_and_an_example()
    {
        var message = Problem("deploy api 1.0.0");
        Assert.Contains("Usage: `deploy APP VERSION to ENV [TIMEOUT] [--force]`", message);
        Assert.Contains("for example `deploy api 1.4.2 to prod`", message);
    }

    [Fact]
    public void Unaddressed_chat_is_not_a_command_but_a_known_first_word_is()
    {
        Assert.IsType<ParseOutcome.Chat>(CommandParser.Parse("hello team, deploying soon", Registry(), Context, addressed: false));
        Assert.IsType<ParseOutcome.Chat>(CommandParser.Parse("it's \"broken", Registry(), Context, addressed: false));
        Assert.IsType<ParseOutcome.Command>(CommandParser.Parse("whoami", Registry(), Context, addressed: false));
        Assert.IsType<ParseOutcome.Command>(CommandParser.Parse("@capstan: whoami", Registry(), Context, addressed: false));
        Assert.IsType<ParseOutcome.Problem>(CommandParser.Parse("!frobnicate", Registry(), Context, addressed: false));
        Assert.Contains("did you mean 'history'", Assert.IsType<ParseOutcome.Problem>(CommandParser.Parse("histroy 20", Registry(), Context, addressed: false)).Message);
        Assert.IsType<ParseOutcome.Chat>(CommandParser.Parse("hello everyone", Registry(), Context, addressed: false));
    }

    [Fact]
    public void Fuzzed_input_never_throws_or_hangs()
    {
        var registry = Registry();
        var random = new Random(20261124);
        string[] words = ["deploy", "api", "1.0.0", "to", "prod", "--force", "\"", "'", "\\", "in", "by", "=", "history", "lock", "timeout=", "--", "—", "“", "\u0000", "🙂", "help", "token", "revoke"];
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 20_000; i++)
        {
            var n = random.Next(0, 12);
            var parts = new List<string>();
            for (var j = 0; j < n; j++)
                parts.Add(random.Next(4) == 0
                    ? new string(Enumerable.Range(0, random.Next(1, 8)).Select(_ => (char)random.Next(0, 0x2FF)).ToArray())
                    : words[random.Next(words.Length)]);
            var text = string.Join(random.Next(3) == 0 ? "" : " ", parts);
            var outcome = CommandParser.Parse(text, registry, Context, addressed: random.Next(2) == 0);
            Assert.NotNull(outcome);
        }
        var huge = CommandParser.Parse("deploy " + new string('"', 50_001), registry, Context, true);
        Assert.IsType<ParseOutcome.Problem>(huge);
        Assert.True(watch.Elapsed < TimeSpan.FromMinutes(1), "the parser must not hang");
    }

    [Fact]
    public void Docs_generated_from_the_registry_name_every_command()
    {
        var md = CommandReference.Markdown(Registry());
        Assert.Contains("### `deploy APP VERSION to ENV [TIMEOUT] [--force]`", md);
        Assert.Contains("### `token revoke WHO`", md);
        Assert.Contains("asks for confirmation", md);
    }

    [Fact]
    public void Policy_scopes_grants_by_environment_and_names_who_can_grant()
    {
        var policy = Config.Policy;
        var bob = policy.Identify(AccessPolicy.CapstanPlatform, "bob");
        Assert.True(policy.Check(bob, "lock", "lock", "staging", "ops").Allowed);
        var denied = policy.Check(bob, "lock", "lock", "prod", "ops");
        Assert.False(denied.Allowed);
        Assert.Contains("needs permission 'lock' for environment 'prod'", denied.Reason);
        Assert.Contains("lock (environments dev, staging)", denied.Reason);
        Assert.Contains("An admin (alice) can grant it", denied.Reason);
        var guest = policy.Identify("irc", "mallory");
        Assert.True(guest.IsGuest);
        Assert.Contains("handles: { irc: mallory }", policy.Check(guest, "read", "history", null, "ops").Reason);
        Assert.Equal("alice", policy.Identify("irc", "alice").Person?.Id);
    }
}
