using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Git;
using Capstan.Core.Ledger;

namespace Capstan.Core.Tests;

public sealed class ConfigTests
{
    [Fact]
    public async Task A_committed_policy_change_takes_effect_without_restart()
    {
        await using var t = await TestNode.StartAsync();
        Assert.Equal(CommandOutcome.Refused, (await t.SayAsync("carol", "token revoke bob")).Outcome);
        await t.PushConfigAsync(yaml => yaml.Replace("roles: [viewer]", "roles: [viewer, admin]"));
        Assert.Equal(CommandOutcome.Pending, (await t.SayAsync("carol", "token revoke bob")).Outcome);
        var applied = await t.Node.Ledger.QueryAsync(new LedgerQuery(Kind: LedgerKinds.ConfigApplied), default);
        Assert.Single(applied);
    }

    [Theory]
    [InlineData("roles: [viewer]", "roles: [viewr]", "capstan.yaml:24:", "unknown role 'viewr' — did you mean 'viewer'?")]
    [InlineData("roles: [viewer]", "roles: [viewer", "capstan.yaml:", "invalid YAML")]
    [InlineData("defaultRoom: ops", "defaultRoom: ops\npeopel: {}", "capstan.yaml:6:1", "unknown key 'peopel' in capstan.yaml — did you mean 'people'?")]
    [InlineData("lock: { environments: [dev, staging] }", "lock: { environments: [dev, stagin] }", "capstan.yaml:", "unknown environment 'stagin'")]
    public async Task A_broken_config_is_refused_with_file_and_line_and_the_last_good_one_stays(string from, string to, string where, string what)
    {
        await using var t = await TestNode.StartAsync();
        var before = t.Node.Config.Current.Commit;
        await t.PushConfigAsync(yaml => yaml.Replace(from, to));
        Assert.Equal(before, t.Node.Config.Current.Commit);
        var rejected = t.Node.Config.Rejected!;
        Assert.Contains(rejected.Errors, e => e.ToString().StartsWith(where, StringComparison.Ordinal) && e.ToString().Contains(what, StringComparison.Ordinal));
        var notices = await t.Node.Ledger.QueryAsync(new LedgerQuery(Kind: LedgerKinds.Reply, Room: "ops"), default);
        Assert.Contains(notices, n => n.Data.Contains("configuration errors") && n.Data.Contains(what.Replace("'", "\\u0027")[..10]));
        Assert.Equal(CommandOutcome.Succeeded, (await t.SayAsync("carol", "whoami")).Outcome);
    }

    [Fact]
    public async Task The_line_of_an_unknown_role_is_the_line_in_the_file()
    {
        await using var t = await TestNode.StartAsync();
        await t.PushConfigAsync(yaml => yaml.Replace("roles: [deployer]", "roles: [deployer, wizard]"));
        var error = Assert.Single(t.Node.Config.Rejected!.Errors);
        var lines = t.Node.ConfigRepo.ReadFiles(t.Node.ConfigRepo.HeadSha()!)["capstan.yaml"].Split('\n');
        Assert.Contains("wizard", lines[error.Line - 1]);
    }

    [Fact]
    public async Task Capstan_commits_and_a_person_pushing_at_the_same_time_never_lose_each_other()
    {
        await using var t = await TestNode.StartAsync();
        var clone = Path.Combine(t.Root, "clone");
        Assert.True((await GitCli.RunAsync(t.Root, ["clone", "--quiet", t.Node.ConfigRepo.Path, clone], default)).Ok);
        await GitCli.RunAsync(clone, ["config", "user.name", "Bob Builder"], default);
        await GitCli.RunAsync(clone, ["config", "user.email", "bob@example.com"], default);
        var capstanCommits = Task.Run(async () =>
        {
            for (var i = 0; i < 15; i++)
                await t.Node.ConfigRepo.CommitAsync(new ConfigChange($"note {i}", new CommitAuthor("Alice Admin", "alice@example.com"),
                    _ => new Dictionary<string, string?> { [$"notes/capstan-{i}.md"] = $"note {i}\n" }), default);
        });
        var pushed = 0;
        for (var i = 0; i < 10; i++)
        {
            File.WriteAllText(Path.Combine(clone, $"person-{i}.md"), $"person {i}\n");
            await GitCli.RunAsync(clone, ["add", "."], default);
            await GitCli.RunAsync(clone, ["commit", "--quiet", "-m", $"person {i}"], default);
            for (var attempt = 0; attempt < 50; attempt++)
            {
                if ((await GitCli.RunAsync(clone, ["push", "--quiet", "origin", "HEAD:main"], default)).Ok) { pushed++; break; }
                await GitCli.RunAsync(clone, ["pull", "--quiet", "--rebase", "origin", "main"], default);
            }
        }
        await capstanCommits;
        Assert.Equal(10, pushed);
        var files = t.Node.ConfigRepo.ReadFiles(t.Node.ConfigRepo.HeadSha()!);
        Assert.Equal(15, files.Keys.Count(k => k.StartsWith("notes/capstan-", StringComparison.Ordinal)));
        Assert.Equal(10, files.Keys.Count(k => k.StartsWith("person-", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Capstan_commits_are_attributed_to_the_person_and_committed_by_capstan()
    {
        await using var t = await TestNode.StartAsync();
        var c = await t.Node.ConfigRepo.CommitAsync(new ConfigChange("deploy demo 1.1.0 to staging", new CommitAuthor("Bob Builder", "bob@example.com"),
            _ => new Dictionary<string, string?> { ["x.txt"] = "x" }, [new("Capstan-Request", "r123"), new("Approved-by", "alice")]), default);
        var log = await GitCli.RunAsync(t.Node.ConfigRepo.Path, ["log", "-1", "--format=%an <%ae>|%cn|%B", c!.Sha], default);
        Assert.StartsWith("Bob Builder <bob@example.com>|Capstan|deploy demo 1.1.0 to staging", log.Output);
        Assert.Contains("Capstan-Request: r123", log.Output);
        Assert.Contains("Approved-by: alice", log.Output);
    }
}
