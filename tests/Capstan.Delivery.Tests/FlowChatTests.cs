using Capstan.Core;
using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Conversation;
using Capstan.Core.Git;
using Capstan.Core.Modules;
using Capstan.Delivery.Sources;
using Microsoft.Extensions.DependencyInjection;

namespace Capstan.Delivery.Tests;

/// <summary>GitFlow from chat on a source repo declared in capstan.yaml, against a real bare origin.</summary>
public sealed class FlowChatTests : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "capstan-flowchat-" + Guid.NewGuid().ToString("N")[..8]);
    private CapstanNode _node = null!;
    private ServiceProvider _services = null!;
    private string Origin => Path.Combine(_root, "api.git");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_root);
        var seed = Path.Combine(_root, "seed");
        await Git(_root, "init", "--quiet", "--bare", "--initial-branch=main", Origin);
        await Git(_root, "clone", "--quiet", Origin, seed);
        await File.WriteAllTextAsync(Path.Combine(seed, "README.md"), "api\n");
        await Git(seed, "add", ".");
        await Git(seed, "-c", "user.name=Dev", "-c", "user.email=dev@example.com", "commit", "--quiet", "-m", "feat: first");
        await Git(seed, "tag", "-a", "1.1.0", "-m", "1.1.0");
        await Git(seed, "push", "--quiet", "origin", "main", "--tags");

        _node = await CapstanNode.OpenAsync(DataFolder.At(Path.Combine(_root, "data")), [DeliveryModule.Section, DeliveryModule.Sources], TimeProvider.System, default);
        new CoreCommands().Register(_node.Registry);
        _node.Registry.Register(new DeliveryModule());
        _services = _node.AddTo(new ServiceCollection()).AddDelivery().BuildServiceProvider();
        await _node.ConfigRepo.CommitAsync(new ConfigChange("declare api", new CommitAuthor("Alice Admin", "alice@example.com"),
            f => new Dictionary<string, string?> { ["capstan.yaml"] = f["capstan.yaml"] + $"\nrepos:\n  api: {{ url: \"{Origin}\", description: The API }}\n" }), default);
        await _node.Reloader.RefreshAsync(default);
        Assert.Null(_node.Config.Rejected);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _node.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_root, true); } catch (IOException) { }
    }

    private Task<ConversationResult> Say(string person, string text) =>
        _services.GetRequiredService<Conversation>().HandleAsync(new IncomingMessage("capstan", person, "ops", text, null, true), default);

    private static async Task<string> Git(string dir, params string[] args)
    {
        var r = await GitCli.RunAsync(dir, args, default);
        Assert.True(r.Ok, $"git {string.Join(' ', args)}: {r.Error}");
        return r.Output.Trim();
    }

    [Fact]
    public async Task A_release_started_and_finished_from_chat_lands_on_origin_in_git_flow_order()
    {
        var start = await Say("bob", "flow release start 1.2.0 in api");
        Assert.Equal(CommandOutcome.Succeeded, start.Outcome);
        Assert.Contains("release/1.2.0", start.Replies[0].Text);
        Assert.Contains("release/1.2.0 created", start.Replies[0].Text);
        Assert.Equal(await Git(_root, "--git-dir", Origin, "rev-parse", "develop"), await Git(_root, "--git-dir", Origin, "rev-parse", "release/1.2.0"));

        // A developer stabilises the release with a plain git push.
        var dev = Path.Combine(_root, "dev");
        await Git(_root, "clone", "--quiet", "--branch", "release/1.2.0", Origin, dev);
        await File.WriteAllTextAsync(Path.Combine(dev, "CHANGES.md"), "1.2.0\n");
        await Git(dev, "add", ".");
        await Git(dev, "-c", "user.name=Dev", "-c", "user.email=dev@example.com", "commit", "--quiet", "-m", "fix: changes for 1.2.0");
        await Git(dev, "push", "--quiet", "origin", "release/1.2.0");

        var denied = await Say("bob", "flow release finish 1.2.0 in api");
        Assert.Equal(CommandOutcome.Refused, denied.Outcome);
        Assert.Contains("needs permission 'release'", denied.Replies[0].Text);

        var finish = await Say("alice", "flow release finish 1.2.0 in api");
        Assert.True(finish.Outcome == CommandOutcome.Succeeded, finish.Replies[0].Text);
        Assert.Equal(CommandOutcome.Succeeded, finish.Outcome);
        Assert.Contains("tag 1.2.0 created", finish.Replies[0].Text);
        Assert.Contains("release/1.2.0 deleted", finish.Replies[0].Text);

        // Origin now has: main = --no-ff merge of the release, tagged 1.2.0 (annotated); develop merged back; branch gone.
        Assert.Equal("tag", await Git(_root, "--git-dir", Origin, "cat-file", "-t", "1.2.0"));
        Assert.Equal(await Git(_root, "--git-dir", Origin, "rev-parse", "1.2.0^{commit}"), await Git(_root, "--git-dir", Origin, "rev-parse", "main"));
        Assert.Equal(2, (await Git(_root, "--git-dir", Origin, "rev-list", "--parents", "-n", "1", "main")).Split(' ').Length - 1);
        Assert.Equal("", await Git(_root, "--git-dir", Origin, "branch", "--list", "release/*"));
        await Git(_root, "--git-dir", Origin, "merge-base", "--is-ancestor", "main", "develop");

        var version = await Say("carol", "version api main");
        Assert.Contains("api main is 1.2.0", version.Replies[0].Text);
        var log = await _node.Ledger.QueryAsync(new Core.Ledger.LedgerQuery(Kind: "flow.operation"), default);
        Assert.Equal(2, log.Count);
    }

    [Fact]
    public async Task Read_only_commands_on_a_repo_without_develop_answer_the_same_every_time()
    {
        // Origin has only main: Capstan's clone sets git-flow up (develop from main) without pushing, every time.
        var first = await Say("carol", "version api");
        var second = await Say("carol", "version api");
        Assert.Equal(CommandOutcome.Succeeded, first.Outcome);
        Assert.Equal(first.Replies[0].Text, second.Replies[0].Text);
        Assert.Contains("api develop is 1.2.0-alpha.0", second.Replies[0].Text);
        Assert.Equal(CommandOutcome.Succeeded, (await Say("carol", "flow feature list in api")).Outcome);
        Assert.Equal("", await Git(_root, "--git-dir", Origin, "branch", "--list", "develop"));
    }

    [Fact]
    public async Task Changelog_and_bad_input_from_chat()
    {
        var unknown = await Say("bob", "flow feature start login in apii");
        Assert.Equal(CommandOutcome.Invalid, unknown.Outcome);
        Assert.Contains("did you mean 'api'", unknown.Replies[0].Text);
        var badVersion = await Say("bob", "flow release start one in api");
        Assert.Contains("is not a semantic version", badVersion.Replies[0].Text);

        Assert.Equal(CommandOutcome.Succeeded, (await Say("bob", "flow feature start login in api")).Outcome);
        var again = await Say("bob", "flow feature start login in api");
        Assert.Equal(CommandOutcome.Failed, again.Outcome);
        Assert.Contains("did not happen", again.Replies[0].Text);

        var changelog = await Say("carol", "changelog api ..1.1.0");
        Assert.Equal(CommandOutcome.Succeeded, changelog.Outcome);
        Assert.Contains("first", changelog.Replies[0].Text);
        var badRange = await Say("carol", "changelog api 1.1.0");
        Assert.Equal(CommandOutcome.Invalid, badRange.Outcome);
    }
}
