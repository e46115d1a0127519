using Capstan.Core.Commands;
using Capstan.Core.Git;
using Capstan.Incidents.Postmortems;

namespace Capstan.Incidents.Tests;

public sealed class PostmortemPermissionTests
{
    /// <summary>The config repo's main as `git log` shows it: author and subject, newest first.</summary>
    private static async Task<string> GitLogAsync(IncidentNode t)
    {
        var log = await GitCli.RunAsync(t.Node.ConfigRepo.Path, ["log", "--format=%an|%s", "main"], CancellationToken.None);
        Assert.True(log.Ok, log.Error);
        return log.Output;
    }

    [Fact]
    public async Task A_viewers_postmortem_is_refused_naming_write_config_and_nothing_is_committed_while_a_deployer_commits_it()
    {
        await using var t = await IncidentNode.StartAsync(TestConfig.Yaml());
        await t.RunAsync("carol", "incident open \"checkout latency\" sev2 app=api");
        await t.RunAsync("carol", "incident resolve INC-1 rolled back");
        var before = await GitLogAsync(t);

        var viewer = await t.SayAsync("carol", "incident postmortem INC-1");
        Assert.Equal(CommandOutcome.Refused, viewer.Outcome);
        Assert.Contains("needs permission 'write-config'", viewer.Replies[0].Text);
        Assert.Equal(before, await GitLogAsync(t));
        Assert.DoesNotContain("Carol Viewer", before);
        Assert.False(t.Node.ConfigRepo.ReadFiles(t.Node.ConfigRepo.HeadSha()!).ContainsKey("postmortems/INC-1.md"));
        Assert.Null((await t.Store.GetAsync(1, CancellationToken.None))!.Postmortem);

        var deployer = await t.RunAsync("bob", "incident postmortem INC-1");
        Assert.Contains("Committed postmortems/INC-1.md", deployer);
        Assert.StartsWith("Bob Builder|Postmortem for INC-1: checkout latency\n", await GitLogAsync(t));
    }

    [Fact]
    public async Task The_permission_is_checked_at_the_commit_not_only_when_the_command_is_parsed()
    {
        await using var t = await IncidentNode.StartAsync(TestConfig.Yaml());
        await t.RunAsync("carol", "incident open \"login down\" sev1");
        var incident = (await t.Store.GetAsync(1, CancellationToken.None))!;
        var before = await GitLogAsync(t);

        // Any path to the writer — chat, the HTTP API, a future caller — meets the same check.
        var (write, _) = await t.Get<PostmortemWriter>().CommitAsync(incident, "carol", "incident postmortem", "inc-1", CancellationToken.None);
        Assert.True(write.Refused);
        Assert.Contains("needs permission 'write-config'", write.Refusal);
        Assert.Equal(before, await GitLogAsync(t));

        var (unknown, _) = await t.Get<PostmortemWriter>().CommitAsync(incident, "mallory", "incident postmortem", "inc-1", CancellationToken.None);
        Assert.True(unknown.Refused);
        Assert.Equal(before, await GitLogAsync(t));
    }
}
