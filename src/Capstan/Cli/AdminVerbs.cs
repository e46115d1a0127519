using Capstan.Core.Modules;
using System.CommandLine;
using Capstan.Core;
using Capstan.Core.Access;
using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Ledger;
using Capstan.Core.Ledger.Anchors;
using Capstan.Core.Storage;
using Capstan.Web.Api;
using Microsoft.Extensions.Logging;

namespace Capstan.Cli;

/// <summary>Verbs that work on a data folder directly: tokens, sign-in links, ledger verification, config validation, docs.</summary>
public static class AdminVerbs
{
    public static Command Token()
    {
        var label = new Option<string>("--label") { Description = "What the token is for", DefaultValueFactory = _ => "cli" };
        var create = new Command("create", "Create an API token for a person and print it (shown once).") { Options.Data, Options.Person, label };
        create.SetAction(async (parse, ct) =>
        {
            var data = Existing(parse.GetValue(Options.Data)!);
            var (tokens, ledger, policy) = await OpenAccessAsync(data, ct);
            var person = parse.GetValue(Options.Person)!;
            if (!policy.People.ContainsKey(person)) throw new CommandFailedException(ArgumentKind.Unknown("person", person, policy.People.Keys) + ".");
            var issued = await tokens.IssueAsync(person, TokenKind.Api, parse.GetValue(label)!, null, ct);
            await using (ledger) await ledger.AppendAsync(LedgerKinds.TokenCreated, person, null, null, new { token = issued.Info.Id, label = issued.Info.Label, via = "capstan token create" });
            await AnchorAsync(data, ledger.Store);
            Console.Out.WriteLine(issued.Secret);
            Console.Error.WriteLine($"Token {issued.Info.Id} for {person}. It is shown once; use it as `--token` or `Authorization: Bearer`.");
            return 0;
        });
        return new Command("token", "Manage API tokens") { create };
    }

    public static Command SignInLink()
    {
        var cmd = new Command("signin-link", "Print a one-time sign-in link for a person (valid 30 minutes).") { Options.Data, Options.Person };
        cmd.SetAction(async (parse, ct) =>
        {
            var data = Existing(parse.GetValue(Options.Data)!);
            var (tokens, ledger, policy) = await OpenAccessAsync(data, ct);
            var person = parse.GetValue(Options.Person)!;
            if (!policy.People.ContainsKey(person)) throw new CommandFailedException(ArgumentKind.Unknown("person", person, policy.People.Keys) + ".");
            var issued = await tokens.IssueAsync(person, TokenKind.SignIn, "capstan signin-link", SignIn.LinkLifetime, ct);
            await using (ledger) await ledger.AppendAsync("access.signin-link", "capstan", null, null, new { person, token = issued.Info.Id, via = "capstan signin-link" });
            await AnchorAsync(data, ledger.Store);
            var url = ServerRecord.Read(data)?.LinkBase ?? "http://127.0.0.1:8080";
            Console.Out.WriteLine($"{url}/signin?token={Uri.EscapeDataString(issued.Secret)}");
            return 0;
        });
        return cmd;
    }

    public static Command Ledger()
    {
        var anchors = new Option<string?>("--anchors") { Description = "A local repository holding the ledger anchors (a mirror: git clone --mirror URL mirror.git); default: the data folder's config.git" };
        var publicKey = new Option<string?>("--public-key") { Description = "The signing key the anchors must carry (ed25519:BASE64, as the first anchor recorded it); default: the key in the data folder or CAPSTAN_LEDGER_KEY" };
        var verify = new Command("verify", "Check the ledger: its hash chain, the signed anchors in the config repo, and the database against the anchors. Names truncation, rechaining, bad signatures and a replaced key (exit 1).")
        {
            Options.Data, anchors, publicKey,
        };
        verify.SetAction(async (parse, ct) =>
        {
            var data = Existing(parse.GetValue(Options.Data)!);
            var repo = Path.GetFullPath(parse.GetValue(anchors) ?? data.ConfigRepo);
            if (!LibGit2Sharp.Repository.IsValid(repo))
                throw new UsageException($"{repo} is not a Git repository; pass --anchors a local mirror of the config repo (git clone --mirror URL mirror.git).");
            var history = new AnchorHistory(repo);
            string? expected = parse.GetValue(publicKey), expectedFrom = expected is null ? null : "the key given with --public-key";
            if (expected is null)
            {
                try
                {
                    using var key = LedgerSigningKey.TryLoad(data);
                    (expected, expectedFrom) = (key?.PublicKey, key is null ? null : $"the key in {key.Source}");
                }
                catch (InvalidOperationException ex) { throw new CommandFailedException(ex.Message); }
            }
            await using var store = new SqliteLedgerStore(new SqliteDatabase(data.Database));
            var report = await LedgerAudit.RunAsync(store, history.ReadAll(), expected, expectedFrom, Composition.Clock, ct);
            if (report.Intact)
            {
                Console.Out.WriteLine(report.Summary);
                return 0;
            }
            foreach (var problem in report.Problems) Console.Out.WriteLine(problem);
            Console.Out.WriteLine($"The ledger cannot be trusted as it is: {report.Problems.Count} problem(s). Compare it with a backup and with a mirror of the config repo's anchors (docs/security.md, \"The ledger\").");
            return 1;
        });
        return new Command("ledger", "Inspect the ledger") { verify };
    }

    public static Command Validate()
    {
        var path = new System.CommandLine.Argument<string?>("path")
        {
            Description = "A checkout of the config repo (its files as they are now, from anywhere inside it), a bare repo or a data folder (its main). " +
                "Default: the checkout you are in; outside one, ./capstan-data if it is a data folder",
            DefaultValueFactory = _ => null,
        };
        var cmd = new Command("validate", "Check a config repo for errors (file:line) without applying it. Exit 1 when there are errors.") { path };
        cmd.SetAction(async (parse, ct) =>
        {
            var given = parse.GetValue(path);
            var dir = Path.GetFullPath(given ?? ".");
            IReadOnlyDictionary<string, string> files;
            if (File.Exists(Path.Combine(dir, "capstan.db"))) dir = Path.Combine(dir, "config.git");
            if (Directory.Exists(Path.Combine(dir, "objects")) && File.Exists(Path.Combine(dir, "HEAD")))
                files = await CommittedFilesAsync(dir, ct);
            else if (Directory.Exists(dir))
            {
                files = await CheckoutFilesAsync(dir, ct);
                // No PATH and no config checkout here, but the data folder `./capstan.sh up` makes by default (beside
                // the Capstan checkout): its main is what the person most likely means.
                var beside = DataFolder.At("capstan-data");
                if (given is null && !files.ContainsKey(ConfigLoader.MainFile) && beside.Exists)
                {
                    Console.Error.WriteLine($"No capstan.yaml in a checkout here; checking {beside.ConfigRepo} (main) instead.");
                    files = await CommittedFilesAsync(beside.ConfigRepo, ct);
                }
                else if (!files.ContainsKey(ConfigLoader.MainFile))
                    throw new CommandFailedException($"{dir} has no capstan.yaml, so it is not a checkout of the config repo. Run `capstan validate` inside one " +
                        "(git clone DATA/config.git), or pass its path, a bare config repo or a data folder: `capstan validate PATH`.");
            }
            else throw new UsageException($"{dir} does not exist.");
            try
            {
                var snapshot = new ConfigLoader(Composition.Modules.Sections).Load("working-tree", Composition.Clock.GetUtcNow(), files);
                Console.Out.WriteLine($"Configuration is valid: {snapshot.Policy.People.Count} people, {snapshot.Policy.Roles.Count} roles, {snapshot.Policy.Environments.Count} environments.");
                return 0;
            }
            catch (ConfigException ex)
            {
                foreach (var e in ex.Errors) Console.Out.WriteLine(e);
                Console.Out.WriteLine($"{ex.Errors.Count} error(s); fix them before pushing.");
                return 1;
            }
        });
        return cmd;
    }

    private static async Task<IReadOnlyDictionary<string, string>> CommittedFilesAsync(string bare, CancellationToken ct)
    {
        var repo = await ConfigRepo.OpenOrCreateAsync(bare, new Dictionary<string, string>(), ct);
        return repo.ReadFiles(repo.HeadSha() ?? throw new CommandFailedException($"{bare} has no commits."));
    }

    /// <summary>
    /// The files of a checkout as they are now, committed or not. Inside a Git work tree: from its top (so
    /// `capstan validate .` works in any subfolder), only files Git would commit (not ignored ones), paths as Git
    /// names them. Elsewhere: every file under the folder.
    /// </summary>
    private static async Task<IReadOnlyDictionary<string, string>> CheckoutFilesAsync(string dir, CancellationToken ct)
    {
        IEnumerable<string> paths;
        var top = await Core.Git.GitCli.RunAsync(dir, ["rev-parse", "--show-toplevel"], ct);
        if (top.Ok && top.Output.Trim() is { Length: > 0 } root && !File.Exists(Path.Combine(dir, ConfigLoader.MainFile)))
            dir = root;
        var listed = top.Ok ? await Core.Git.GitCli.RunAsync(dir, ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], ct) : null;
        if (listed is { Ok: true })
            paths = listed.Output.Split('\0', StringSplitOptions.RemoveEmptyEntries).Distinct().Select(p => Path.Combine(dir, p));
        else
            paths = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
                .Where(f => !Path.GetRelativePath(dir, f).Split(Path.DirectorySeparatorChar).Contains(".git"));
        return paths.Where(f => File.Exists(f) && new FileInfo(f).Length < 2_000_000)
            .ToDictionary(f => Path.GetRelativePath(dir, f).Replace('\\', '/'), File.ReadAllText, StringComparer.Ordinal);
    }

    /// <summary>The hidden verb the config repo's pre-receive hook runs.</summary>
    public const string CheckPushVerb = "check-push";

    /// <summary>
    /// `capstan check-push --data DIR` (hidden): git's pre-receive lines on stdin; a new main with configuration errors
    /// exits 1 with the errors on stderr, which git shows the pusher as "remote:" lines. Takes no data-folder lock.
    /// </summary>
    public static Command CheckPush()
    {
        var cmd = new Command(CheckPushVerb, "Check a push to the config repo (run by its pre-receive hook).") { Options.Data };
        cmd.Hidden = true;
        cmd.SetAction(async (parse, ct) =>
        {
            var data = DataFolder.At(parse.GetValue(Options.Data)!);
            var gate = new PushGate(new ConfigLoader(Composition.Modules.Sections));
            return await gate.CheckAsync(data.ConfigRepo, Console.In, Console.Error, ct);
        });
        return cmd;
    }

    /// <summary>
    /// Writes (or refreshes) the data folder's config repo pre-receive hook so that it runs this executable's
    /// <see cref="CheckPush"/>; returns a sentence for the operator when someone else's hook was kept instead.
    /// </summary>
    public static string? InstallPushHook(DataFolder data)
    {
        var exe = Environment.ProcessPath ?? throw new InvalidOperationException("the path of this executable is unknown");
        var command = new List<string> { exe };
        // Started as `dotnet capstan-server.dll`: the hook must name the app, not only the host.
        if (Path.GetFileNameWithoutExtension(exe) == "dotnet") command.Add(typeof(AdminVerbs).Assembly.Location);
        command.AddRange([CheckPushVerb, "--data", data.Root]);
        // The pusher's shell may not know where .NET is; the hook takes what this process was given.
        var env = Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root ? new Dictionary<string, string> { ["DOTNET_ROOT"] = root } : null;
        return PushHook.Install(data.ConfigRepo, command, env);
    }

    public static Command Docs()
    {
        var commands = new Command("commands", "Print the chat command reference (docs/commands.md) generated from the registry.");
        commands.SetAction(_ => { Console.Out.Write(CommandReference.Markdown(Composition.Registry())); return 0; });
        var events = new Command("events", "Print the kinds of ledger entries each module writes (docs/ledger-events.md), generated from their records.");
        events.SetAction(_ => { Console.Out.Write(LedgerEventReference.Markdown(Composition.Modules)); return 0; });
        return new Command("docs", "Generate reference documentation") { commands, events };
    }

    private static DataFolder Existing(string path)
    {
        var data = DataFolder.At(path);
        if (!data.Exists) throw new UsageException($"{data.Root} is not a Capstan data folder; run `capstan up --data {path}` first, or pass --data.");
        return data;
    }

    /// <summary>Anchors what this verb appended (the server anchors it too, within a minute, when it runs).</summary>
    private static async Task AnchorAsync(DataFolder data, ILedgerStore store)
    {
        using var logs = LoggerFactory.Create(b => b.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)); // stdout is the token
        await using var anchoring = LedgerAnchoring.Open(data, store, Composition.Clock, logs.CreateLogger<LedgerAnchoring>());
    }

    private static async Task<(AccessTokens, Core.Ledger.Ledger, Core.Policy.AccessPolicy)> OpenAccessAsync(DataFolder data, CancellationToken ct)
    {
        var db = new SqliteDatabase(data.Database);
        await db.MigrateAsync(ct);
        var repo = await ConfigRepo.OpenOrCreateAsync(data.ConfigRepo, new Dictionary<string, string>(), ct, Composition.Clock);
        var (config, newest) = LastGoodConfig.Find(repo, new ConfigLoader(Composition.Modules.Sections), ct);
        if (newest is not null) Terminal.Error(LastGoodConfig.Notice(newest, config));
        var policy = config.Policy;
        var ledger = await Core.Ledger.Ledger.OpenAsync(new SqliteLedgerStore(db), Composition.Clock, new Redactor(), ct);
        return (new AccessTokens(db, Composition.Clock), ledger, policy);
    }
}
