using System.Diagnostics;
using System.Text.RegularExpressions;
using Capstan.Core.Commands;
using Capstan.Delivery.Targets;

namespace Capstan.Delivery.Tests;

public sealed partial class DurabilityTests
{
    [GeneratedRegex(@"Approval request (A[A-Z0-9]{4})")]
    private static partial Regex RequestId();

    [Fact]
    public async Task An_approval_request_survives_a_restart_and_its_progress_continues_in_the_original_thread()
    {
        var root = DeliveryNode.NewRoot();
        var first = await DeliveryNode.StartAsync(root);
        var asked = await first.SayAsync("bob", "deploy demo 1.1.0 to prod");
        var id = RequestId().Match(asked.Replies[0].Text).Groups[1].Value;
        await first.CloseAsync();

        await using var second = await DeliveryNode.StartAsync(root);
        var approved = await second.SayAsync("alice", $"approve {id}");
        Assert.Equal(CommandOutcome.Succeeded, approved.Outcome);
        await second.HealthyAsync("prod", "1.1.0");
        await second.MessageAsync(m => m.ThreadId == asked.MessageId && m.Text.Contains("is live and healthy in prod"), "the result in bob's thread");
    }

    [Fact]
    public async Task After_an_automatic_rollback_the_slot_is_held_and_drift_is_reported_but_not_healed()
    {
        await using var t = await DeliveryNode.StartAsync();
        await t.CommitAsync("shorter health deadline", new Dictionary<string, string?> { ["apps/demo.yaml"] = DeployTests.ShortDeadline(t, "2s") });
        await t.HealthyAsync("staging", "1.0.0");
        await t.SayAsync("bob", "deploy demo 1.3.0 to staging");
        await t.CellAsync("staging", c => c.Held && c.DesiredVersion == "1.0.0" && c.Sync == SyncState.Synced, "rolled back and held");

        var pid = (int)t.Reconciler.View(new("demo", "staging"))!.Live!.Instance.Number!.Value;
        Process.GetProcessById(pid).Kill();
        var drift = await t.MessageAsync(m => m.Text.StartsWith("Drift: demo 1.0.0 (pid " + pid, StringComparison.Ordinal), "the drift notice");
        Assert.Contains("on hold after an automatic rollback", drift.Text);
        await t.CellAsync("staging", c => c.Health == HealthState.Missing && c.Held, "down and still held");

        Assert.Equal(CommandOutcome.Succeeded, (await t.SayAsync("bob", "sync demo in staging")).Outcome);
        var back = await t.HealthyAsync("staging", "1.0.0");
        Assert.False(back.Held);
    }
}
