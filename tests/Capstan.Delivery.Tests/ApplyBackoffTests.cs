using Capstan.Delivery.Apps;
using Capstan.Delivery.Targets;
using Capstan.Delivery.Targets.Process;
using Microsoft.Extensions.DependencyInjection;

namespace Capstan.Delivery.Tests;

public sealed class ApplyBackoffTests
{
    [Fact]
    public async Task An_apply_that_throws_is_a_recorded_failure_retried_after_a_growing_delay_not_at_once()
    {
        var failing = new FailingTarget();
        await using var t = await DeliveryNode.StartAsync(replace: s => s.AddSingleton<ITarget>(sp => failing.Wrap(sp.GetRequiredService<ProcessTarget>())));
        await t.HealthyAsync("staging", "1.0.0");
        var staging = new Slot("demo", "staging");

        t.Clock.Freeze(); // the retry time moves only when the test says so
        failing.Throwing = true;
        await t.CommitAsync("deploy demo 1.1.0 to staging", new Dictionary<string, string?> { ["environments/staging/demo.yaml"] = "version: 1.1.0\n" });
        await t.CellAsync("staging", c => c.Sync == SyncState.Failed, "the failed apply shown");
        // Pass after pass (each would start the apply again without the backoff), the clock standing still.
        for (var i = 0; i < 5; i++)
        {
            await t.Reconciler.ReconcileAsync(CancellationToken.None);
            await t.EventuallyAsync(() => t.Reconciler.View(staging) is { Applying: false } v ? v : null, "no apply running");
        }
        Assert.Equal(1, failing.Attempts);
        var error = Assert.Single(await t.LedgerAsync("delivery.error"));
        Assert.Contains("\"step\":\"apply\"", error.Data);
        Assert.Contains("\"retryIn\":1", error.Data);
        Assert.Contains("trying again in 1s", t.Board.Cell("demo", "staging")!.Detail);

        // Once the delay has passed it is tried again; failing again doubles the delay.
        t.Clock.Advance(TimeSpan.FromSeconds(1.5));
        await t.Reconciler.ReconcileAsync(CancellationToken.None);
        await DeliveryNode.EventuallyAsync(async () => (await t.LedgerAsync("delivery.error")).Count == 2 ? "" : null, "the second failure recorded");
        Assert.Equal(2, failing.Attempts);
        Assert.Contains(await t.LedgerAsync("delivery.error"), e => e.Data.Contains("\"retryIn\":2", StringComparison.Ordinal));

        // When the fault is gone the next try after the delay deploys.
        failing.Throwing = false;
        t.Clock.Advance(TimeSpan.FromSeconds(2.5));
        await t.Reconciler.ReconcileAsync(CancellationToken.None);
        await t.HealthyAsync("staging", "1.1.0");
    }

    [Fact]
    public void The_delay_doubles_from_one_second_up_to_five_minutes()
    {
        Assert.Equal(TimeSpan.FromSeconds(1), Reconciliation.ApplyBackoff.After(1));
        Assert.Equal(TimeSpan.FromSeconds(2), Reconciliation.ApplyBackoff.After(2));
        Assert.Equal(TimeSpan.FromSeconds(64), Reconciliation.ApplyBackoff.After(7));
        Assert.Equal(TimeSpan.FromMinutes(5), Reconciliation.ApplyBackoff.After(40));
    }

    /// <summary>The real process target, except that deploys throw (a disk or database fault) while <see cref="Throwing"/>.</summary>
    private sealed class FailingTarget
    {
        private int _attempts;
        public volatile bool Throwing;
        public int Attempts => Volatile.Read(ref _attempts);

        public ITarget Wrap(ITarget inner) => new Wrapped(inner, this);

        private sealed class Wrapped(ITarget inner, FailingTarget owner) : ITarget
        {
            public string Kind => inner.Kind;
            public IReadOnlyCollection<Slot> Slots => inner.Slots;
            public Task AdoptAsync(CancellationToken ct) => inner.AdoptAsync(ct);
            public Task<LiveState?> LiveAsync(Slot slot, CancellationToken ct) => inner.LiveAsync(slot, ct);

            public Task<DeployOutcome> DeployAsync(Release release, Action<string>? progress, CancellationToken ct)
            {
                if (!owner.Throwing) return inner.DeployAsync(release, progress, ct);
                Interlocked.Increment(ref owner._attempts);
                throw new IOException("No space left on device");
            }

            public Task RemoveAsync(Slot slot, CancellationToken ct) => inner.RemoveAsync(slot, ct);
            public Task<HealthReading> ProbeAsync(Slot slot, HealthSpec health, CancellationToken ct) => inner.ProbeAsync(slot, health, ct);
            public Task<IReadOnlyList<string>> LogsAsync(Slot slot, int lines, CancellationToken ct) => inner.LogsAsync(slot, lines, ct);
            public Task ShutdownAsync() => inner.ShutdownAsync();

            public event Action<DriftNotice>? Drifted
            {
                add => inner.Drifted += value;
                remove => inner.Drifted -= value;
            }
        }
    }
}
