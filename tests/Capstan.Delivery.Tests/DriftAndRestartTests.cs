using System.Diagnostics;
using Capstan.Delivery.Targets;

namespace Capstan.Delivery.Tests;

public sealed class DriftAndRestartTests
{
    [Fact]
    public async Task A_killed_process_is_reported_as_drift_and_self_healed_where_the_policy_says_so()
    {
        await using var t = await DeliveryNode.StartAsync();
        var staging = await t.HealthyAsync("staging", "1.0.0");
        var dev = await t.HealthyAsync("dev", "1.0.0");
        var stagingPid = (int)t.Reconciler.View(new("demo", "staging"))!.Live!.Instance.Number!.Value;
        var devPid = (int)t.Reconciler.View(new("demo", "dev"))!.Live!.Instance.Number!.Value;

        // staging (selfHeal: true): killed outside Capstan → reported in its room → restarted.
        Process.GetProcessById(stagingPid).Kill();
        var drift = await t.MessageAsync(m => m.Text.StartsWith("Drift: demo 1.0.0 (pid " + stagingPid, StringComparison.Ordinal), "the drift notice", room: "ops");
        Assert.Contains("restarting it", drift.Text);
        await t.MessageAsync(m => m.Text.Contains("demo 1.0.0 is running again in staging (self-heal"), "the self-heal notice", room: "ops");
        var healed = await t.HealthyAsync("staging", "1.0.0");
        Assert.NotEqual(staging.Url, healed.Url);
        Assert.NotEqual(stagingPid, t.Reconciler.View(new("demo", "staging"))!.Live!.Instance.Number);
        Assert.Contains(await t.LedgerAsync("delivery.drift"), e => e.Data.Contains("\"environment\":\"staging\""));

        // dev (selfHeal: false): reported, left down, until someone syncs.
        Process.GetProcessById(devPid).Kill();
        var warn = await t.MessageAsync(m => m.Text.StartsWith("Drift: demo 1.0.0 (pid " + devPid, StringComparison.Ordinal), "the drift warning", room: "dev");
        Assert.Contains("selfHeal is off for dev", warn.Text);
        await t.CellAsync("dev", c => c.Health == HealthState.Missing && c.Sync == SyncState.OutOfSync && c.LiveVersion is null, "down and out of sync");
        var sync = await t.SayAsync("bob", "sync demo in dev", room: "dev");
        Assert.Equal(Core.Commands.CommandOutcome.Succeeded, sync.Outcome);
        var back = await t.HealthyAsync("dev", "1.0.0");
        Assert.NotEqual(dev.Url, back.Url);
    }

    [Fact]
    public async Task After_a_restart_running_processes_are_adopted_and_nothing_is_applied_again()
    {
        var root = DeliveryNode.NewRoot();
        var first = await DeliveryNode.StartAsync(root);
        var staging = await first.HealthyAsync("staging", "1.0.0");
        var dev = await first.HealthyAsync("dev", "1.0.0");
        var appliesBefore = (await first.LedgerAsync("delivery.apply")).Count;
        await first.CloseAsync(); // the server stops; the apps keep serving

        Assert.True(DeployTests.IsRunning(staging.Url!));
        await using var second = await DeliveryNode.StartAsync(root);
        var adopted = await second.HealthyAsync("staging", "1.0.0");
        await second.HealthyAsync("dev", "1.0.0");
        Assert.Equal(staging.Url, adopted.Url);
        Assert.Equal(dev.Url, second.Board.Cell("demo", "dev")!.Url);
        await second.Reconciler.ReconcileAsync(CancellationToken.None);
        Assert.Equal(appliesBefore, (await second.LedgerAsync("delivery.apply")).Count);
        var log = File.ReadAllText(Path.Combine(root, "delivery", "logs", "demo.staging.log"));
        Assert.Equal(1, Count(log, "starting demo 1.0.0"));
        Assert.Contains("adopted demo 1.0.0", log);
    }

    [Fact]
    public async Task A_pass_asked_for_before_the_reconciler_has_started_adopts_first_and_starts_no_second_copy()
    {
        var root = DeliveryNode.NewRoot();
        var first = await DeliveryNode.StartAsync(root);
        var staging = await first.HealthyAsync("staging", "1.0.0");
        await first.HealthyAsync("dev", "1.0.0");
        await first.CloseAsync(); // the server stops; the apps keep serving

        // A chat `sync` (a direct pass) arrives before the reconciler's own start-up has adopted what runs.
        await using var second = await DeliveryNode.StartAsync(root, start: false);
        await second.Reconciler.ReconcileAsync(CancellationToken.None);
        Assert.Equal(staging.Url, second.Reconciler.View(new("demo", "staging"))!.Live!.Url);
        await second.StartServicesAsync();
        await second.HealthyAsync("staging", "1.0.0");
        await second.HealthyAsync("dev", "1.0.0");
        foreach (var env in new[] { "staging", "dev" })
            Assert.Equal(1, Count(File.ReadAllText(Path.Combine(root, "delivery", "logs", $"demo.{env}.log")), "starting demo 1.0.0"));
    }

    [Fact]
    public async Task A_deploy_interrupted_by_a_restart_converges_without_starting_a_second_copy()
    {
        var root = DeliveryNode.NewRoot();
        var first = await DeliveryNode.StartAsync(root);
        await first.CommitAsync("shorter health deadline", new Dictionary<string, string?> { ["apps/demo.yaml"] = DeployTests.ShortDeadline(first, "6s") });
        var before = await first.HealthyAsync("staging", "1.0.0");
        await first.SayAsync("bob", "deploy demo 1.3.0 to staging");
        var log = Path.Combine(root, "delivery", "logs", "demo.staging.log");
        await first.EventuallyAsync(() => File.Exists(log) && File.ReadAllText(log).Contains("demo 1.3.0 listening") ? "started" : null, "the new version to start");
        await first.CloseAsync(); // mid-deploy: 1.3.0 is starting, its health check not yet decided

        await using var second = await DeliveryNode.StartAsync(root);
        // The interrupted deploy is claimed (not started again), fails its health check, and is rolled back once.
        await second.MessageAsync(m => m.Text.Contains("Rolled back automatically"), "the rollback reply after the restart");
        var cell = await second.CellAsync("staging", c => c.DesiredVersion == "1.0.0" && c.LiveVersion == "1.0.0" && c.Sync == SyncState.Synced, "back on 1.0.0");
        Assert.Equal(before.Url, cell.Url);
        var text = File.ReadAllText(log);
        Assert.Equal(1, Count(text, "starting demo 1.3.0"));
        Assert.Contains("from an interrupted deploy", text);
        Assert.Single(second.Repo.Log(50), c => c.Subject.StartsWith("Revert \"deploy demo 1.3.0 to staging\"", StringComparison.Ordinal));
        Assert.Single(await second.LedgerAsync("delivery.rollback"));
    }

    private static int Count(string text, string what)
    {
        var n = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + 1, StringComparison.Ordinal)) n++;
        return n;
    }
}
