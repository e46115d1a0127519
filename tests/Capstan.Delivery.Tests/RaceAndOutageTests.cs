using System.Diagnostics;
using Capstan.Core.Commands;
using Capstan.Delivery.Targets;

namespace Capstan.Delivery.Tests;

public sealed class RaceAndOutageTests
{
    [Fact]
    public async Task Two_people_deploying_the_same_app_at_once_both_commit_and_the_newest_commit_wins()
    {
        await using var t = await DeliveryNode.StartAsync();
        await t.HealthyAsync("staging", "1.0.0");
        var both = await Task.WhenAll(t.SayAsync("bob", "deploy demo 1.1.0 to staging"), t.SayAsync("alice", "deploy demo 1.2.0 to staging"));
        Assert.All(both, r => Assert.Equal(CommandOutcome.Succeeded, r.Outcome));
        var subjects = t.Repo.Log(10).Select(c => c.Subject).ToList();
        Assert.Contains("deploy demo 1.1.0 to staging", subjects);
        Assert.Contains("deploy demo 1.2.0 to staging", subjects);
        var winner = t.Repo.ReadFiles(t.Repo.HeadSha()!)["environments/staging/demo.yaml"].Trim()["version: ".Length..];
        await t.HealthyAsync("staging", winner);
        await t.Reconciler.ReconcileAsync(CancellationToken.None);
        Assert.Equal(winner, t.Board.Cell("demo", "staging")!.LiveVersion);
    }

    [Fact]
    public async Task A_health_endpoint_that_hangs_fails_within_the_deadline_with_the_probe_timeout()
    {
        await using var t = await DeliveryNode.StartAsync();
        await t.CommitAsync("an app whose health check hangs", new Dictionary<string, string?>
        {
            ["apps/sleepy.yaml"] = """
                run:
                  command: ["{capstan}", demo-app, --port, "{port}", --version, "{version}"]
                  environment: { DEMO_HEALTH: hang }
                health: { path: /healthz, timeout: 300ms, deadline: 2s }
                versions: { 1.0.0: {} }
                """,
        });
        await t.SayAsync("bob", "deploy sleepy 1.0.0 to dev");
        var final = await t.MessageAsync(m => m.Text.Contains("sleepy 1.0.0 failed its health check in dev"), "the failure reply");
        Assert.Contains("not healthy within 2.0s: GET /healthz did not answer within 0.3s", final.Text);
    }

    [Fact]
    public async Task When_the_config_repo_cannot_be_read_the_last_configuration_keeps_being_enforced()
    {
        await using var t = await DeliveryNode.StartAsync();
        await t.HealthyAsync("staging", "1.0.0");
        var repo = t.Repo.Path;
        var away = repo + ".away";
        Directory.Move(repo, away);
        try
        {
            var pid = (int)t.Reconciler.View(new("demo", "staging"))!.Live!.Instance.Number!.Value;
            Process.GetProcessById(pid).Kill();
            await t.CellAsync("staging", c => c.Health == HealthState.Healthy && c.Sync == SyncState.Synced && t.Reconciler.View(new("demo", "staging"))!.Live!.Instance.Number != pid, "self-healed without the repo");
        }
        finally
        {
            Directory.Move(away, repo);
        }
        await t.SayAsync("bob", "deploy demo 1.1.0 to staging");
        await t.HealthyAsync("staging", "1.1.0");
    }
}
