using Capstan.Core.Commands;

namespace Capstan.Delivery.Tests;

public sealed class LockAndInputTests
{
    [Fact]
    public async Task A_locked_environment_refuses_deploys_with_the_reason_and_who_locked_it()
    {
        await using var t = await DeliveryNode.StartAsync();
        var locked = await t.SayAsync("alice", "lock staging release freeze until Monday");
        Assert.Equal(CommandOutcome.Succeeded, locked.Outcome);
        var lockCommit = t.Repo.ReadCommit(t.Repo.HeadSha()!);
        Assert.Equal("Alice Admin", lockCommit.AuthorName);
        Assert.StartsWith("lock staging: release freeze until Monday", lockCommit.Message);

        var refused = await t.SayAsync("bob", "deploy demo 1.1.0 to staging");
        Assert.Equal(CommandOutcome.Refused, refused.Outcome);
        Assert.Contains("staging is locked by alice", refused.Replies[0].Text);
        Assert.Contains("release freeze until Monday", refused.Replies[0].Text);
        Assert.Equal(lockCommit.Sha, t.Repo.HeadSha());
        Assert.True(t.Board.Cell("demo", "staging")!.Lock is { By: "alice" });

        var notAllowed = await t.SayAsync("bob", "lock prod because");
        Assert.Equal(CommandOutcome.Refused, notAllowed.Outcome);
        Assert.Contains("permission 'lock'", notAllowed.Replies[0].Text);

        Assert.Equal(CommandOutcome.Succeeded, (await t.SayAsync("bob", "unlock staging")).Outcome);
        Assert.Equal(CommandOutcome.Succeeded, (await t.SayAsync("bob", "deploy demo 1.1.0 to staging")).Outcome);
        await t.HealthyAsync("staging", "1.1.0");
    }

    [Fact]
    public async Task Unknown_apps_environments_and_versions_are_answered_with_what_exists()
    {
        await using var t = await DeliveryNode.StartAsync(start: false);
        var app = await t.SayAsync("bob", "deploy demoo 1.1.0 to staging");
        Assert.Equal(CommandOutcome.Invalid, app.Outcome);
        Assert.Contains("Unknown app 'demoo' — did you mean 'demo'? Known apps: demo", app.Replies[0].Text);

        var version = await t.SayAsync("bob", "deploy demo 1.9.0 to staging");
        Assert.Equal(CommandOutcome.Invalid, version.Outcome);
        Assert.Contains("unknown version '1.9.0' of demo", version.Replies[0].Text);
        Assert.Contains("Known versions: 1.0.0, 1.1.0, 1.2.0, 1.3.0", version.Replies[0].Text);

        var env = await t.SayAsync("bob", "deploy demo 1.1.0 to stagin");
        Assert.True(env.Replies[0].Text.Contains("Unknown environment 'stagin' — did you mean 'staging'?"), env.Replies[0].Text);

        var notSemver = await t.SayAsync("bob", "deploy demo latest to staging");
        Assert.Contains("not a semantic version", notSemver.Replies[0].Text);

        var viewer = await t.SayAsync("carol", "deploy demo 1.1.0 to dev");
        Assert.Equal(CommandOutcome.Refused, viewer.Outcome);

        var logs = await t.SayAsync("carol", "logs demo in staging 9999");
        Assert.Equal(CommandOutcome.Invalid, logs.Outcome);
    }

    [Fact]
    public async Task An_unknown_version_is_answered_with_the_release_candidates_in_release_order()
    {
        await using var t = await DeliveryNode.StartAsync(start: false);
        await t.CommitAsync("add api with release candidates", new Dictionary<string, string?>
        {
            ["apps/api.yaml"] = """
                run:
                  command: ["{capstan}", demo-app, --port, "{port}", --version, "{version}"]
                health: { path: /healthz }
                versions:
                  1.0.0-rc.10: {}
                  1.0.0-rc.9: {}
                  1.0.0-rc.2: {}
                  1.0.0: {}
                """,
        });
        var reply = await t.SayAsync("bob", "deploy api 1.0.0-rc.11 to staging");
        Assert.Equal(CommandOutcome.Invalid, reply.Outcome);
        // Release order, so the newest candidate is the last one before the release (rc.10, not rc.9).
        Assert.Contains("Known versions: 1.0.0-rc.2, 1.0.0-rc.9, 1.0.0-rc.10, 1.0.0", reply.Replies[0].Text);
    }

    [Fact]
    public async Task An_app_that_exits_at_once_fails_with_its_exit_code_and_output()
    {
        await using var t = await DeliveryNode.StartAsync();
        await t.CommitAsync("add a broken app", new Dictionary<string, string?>
        {
            ["apps/broken.yaml"] = """
                run:
                  command: ["{capstan}", not-a-verb, --version, "{version}"]
                health: { path: /healthz, deadline: 10s }
                versions:
                  2.0.0: {}
                """,
        });
        var result = await t.SayAsync("bob", "deploy broken 2.0.0 to dev");
        Assert.Equal(CommandOutcome.Succeeded, result.Outcome);
        var final = await t.MessageAsync(m => m.Text.Contains("broken 2.0.0 failed its health check in dev"), "the failure reply");
        Assert.Contains("exited with code 2", final.Text);
        Assert.Contains("usage: demo-app", final.Text);
        Assert.Contains("nothing runs for broken in dev", final.Text);
        // The revert removes the pin the failed deploy added, so nothing is desired any more.
        await t.CellAsync("dev", c => c.DesiredVersion is null && c.LiveVersion is null, "reverted", app: "broken");
    }
}
