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
        failing.ThrowIn = "apply";
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
        failing.ThrowIn = null;
        t.Clock.Advance(TimeSpan.FromSeconds(2.5));
        await t.Reconciler.ReconcileAsync(CancellationToken.None);
        await t.HealthyAsync("staging", "1.1.0");
    }

    [Fact]
    public async Task Asking_the_target_what_runs_that_throws_is_a_recorded_failure_retried_after_a_growing_delay()
    {
        var failing = new FailingTarget();
        await using var t = await DeliveryNode.StartAsync(replace: s => s.AddSingleton<ITarget>(sp => failing.Wrap(sp.GetRequiredService<ProcessTarget>())));
        await t.HealthyAsync("staging", "1.0.0");

        t.Clock.Freeze();
        failing.ThrowIn = "observe";
        for (var i = 0; i < 5; i++) await t.Reconciler.ReconcileAsync(CancellationToken.None);
        // One failed question per slot, then each waits for its back-off instead of asking again every pass.
        var first = Assert.Single(await StepErrorsAsync(t, "observe", 1));
        Assert.Equal(1, failing.Attempts);
        Assert.Contains("\"retryIn\":1", first.Data);
        Assert.Contains("asking the target failed (the target cannot be reached); trying again in 1s", t.Board.Cell("demo", "staging")!.Detail);

        t.Clock.Advance(TimeSpan.FromSeconds(1.5));
        await t.Reconciler.ReconcileAsync(CancellationToken.None);
        var second = await StepErrorsAsync(t, "observe", 2);
        Assert.Equal(2, failing.Attempts);
        Assert.Contains("\"retryIn\":2", second[1].Data);

        failing.ThrowIn = null;
        t.Clock.Advance(TimeSpan.FromSeconds(2.5));
        await t.Reconciler.ReconcileAsync(CancellationToken.None);
        await t.CellAsync("staging", c => c.Health == HealthState.Healthy && !c.Detail.Contains("failed", StringComparison.Ordinal), "healthy again, the failure gone");
    }

    [Fact]
    public async Task A_diff_that_throws_is_a_recorded_failure_for_its_slot_retried_after_a_delay()
    {
        var failing = new FailingTarget();
        await using var t = await DeliveryNode.StartAsync(replace: s => s.AddSingleton<ITarget>(sp => failing.Wrap(sp.GetRequiredService<ProcessTarget>())));
        await t.HealthyAsync("staging", "1.0.0");
        var staging = new Slot("demo", "staging");

        // After the app is removed from staging, the diff asks the target whether it still keeps anything of the slot.
        t.Clock.Freeze();
        failing.ThrowIn = "diff";
        await t.CommitAsync("remove demo from staging", new Dictionary<string, string?> { ["environments/staging/demo.yaml"] = null });
        await DeliveryNode.EventuallyAsync(async () => (await t.LedgerAsync("delivery.removed")).Count == 1 ? "" : null, "the removal recorded");
        await t.Reconciler.ReconcileAsync(CancellationToken.None);
        for (var i = 0; i < 5; i++) await t.Reconciler.ReconcileAsync(CancellationToken.None);
        var error = Assert.Single(await StepErrorsAsync(t, "diff", 1));
        Assert.Contains("\"retryIn\":1", error.Data);
        Assert.Equal(1, failing.Attempts);
        Assert.NotNull(t.Reconciler.View(staging));

        // Once the fault is gone and the delay has passed, the slot is decided again (and forgotten: nothing runs there).
        failing.ThrowIn = null;
        t.Clock.Advance(TimeSpan.FromSeconds(1.5));
        await t.Reconciler.ReconcileAsync(CancellationToken.None);
        Assert.Null(t.Reconciler.View(staging));
    }

    [Fact]
    public async Task A_health_check_that_throws_is_a_recorded_failure_retried_after_a_growing_delay()
    {
        var failing = new FailingTarget();
        await using var t = await DeliveryNode.StartAsync(replace: s => s.AddSingleton<ITarget>(sp => failing.Wrap(sp.GetRequiredService<ProcessTarget>())));
        await t.HealthyAsync("staging", "1.0.0");

        t.Clock.Freeze();
        failing.ThrowIn = "health";
        var first = Assert.Single(await StepErrorsAsync(t, "health", 1));
        Assert.Contains("\"retryIn\":1", first.Data);
        await t.CellAsync("staging", c => c.Detail.Contains("checking health failed (the target cannot be reached); trying again in 1s", StringComparison.Ordinal), "the failed check shown");
        Assert.Equal(1, failing.Attempts); // not probed again until its delay has passed

        t.Clock.Advance(TimeSpan.FromSeconds(1.5));
        var second = await StepErrorsAsync(t, "health", 2);
        Assert.Contains("\"retryIn\":2", second[1].Data);

        failing.ThrowIn = null;
        t.Clock.Advance(TimeSpan.FromSeconds(2.5));
        await t.CellAsync("staging", c => c.Health == HealthState.Healthy && !c.Detail.Contains("failed", StringComparison.Ordinal), "healthy again, the failure gone");
    }

    /// <summary>Waits until exactly (the failing target fails for demo in staging only) <paramref name="count"/> failures of <paramref name="step"/> are recorded, and returns them.</summary>
    private static async Task<IReadOnlyList<Core.Ledger.LedgerEntry>> StepErrorsAsync(DeliveryNode t, string step, int count)
    {
        IReadOnlyList<Core.Ledger.LedgerEntry> errors = [];
        await DeliveryNode.EventuallyAsync(async () =>
        {
            errors = [.. (await t.LedgerAsync("delivery.error")).Where(e => e.Data.Contains($"\"step\":\"{step}\"", StringComparison.Ordinal)).OrderBy(e => e.Seq)];
            return errors.Count >= count ? "" : null;
        }, $"{count} failed {step} step(s) recorded");
        Assert.Equal(count, errors.Count);
        return errors;
    }

    [Fact]
    public void The_delay_doubles_from_one_second_up_to_five_minutes()
    {
        Assert.Equal(TimeSpan.FromSeconds(1), Reconciliation.ApplyBackoff.After(1));
        Assert.Equal(TimeSpan.FromSeconds(2), Reconciliation.ApplyBackoff.After(2));
        Assert.Equal(TimeSpan.FromSeconds(64), Reconciliation.ApplyBackoff.After(7));
        Assert.Equal(TimeSpan.FromMinutes(5), Reconciliation.ApplyBackoff.After(40));
    }

    /// <summary>
    /// The real process target, except that one step throws (a fault of the target, not of the app) while
    /// <see cref="ThrowIn"/> names it — "observe" (what runs), "diff" (which slots it keeps), "apply" (deploy), "health" (probe) —
    /// and only for demo in staging, so each failure is counted once per attempt.
    /// </summary>
    private sealed class FailingTarget
    {
        private int _attempts;
        public volatile string? ThrowIn;
        public int Attempts => Volatile.Read(ref _attempts);

        private static readonly Slot Failing = new("demo", "staging");

        public ITarget Wrap(ITarget inner) => new Wrapped(inner, this);

        private Exception Fault(string step)
        {
            Interlocked.Increment(ref _attempts);
            return step == "apply" ? new IOException("No space left on device") : new HttpRequestException("the target cannot be reached");
        }

        private sealed class Wrapped(ITarget inner, FailingTarget owner) : ITarget
        {
            public string Kind => inner.Kind;
            public IReadOnlyCollection<Slot> Slots => owner.ThrowIn == "diff" ? new Unlistable(inner.Slots, owner) : inner.Slots;
            public Task AdoptAsync(CancellationToken ct) => inner.AdoptAsync(ct);
            public Task<LiveState?> LiveAsync(Slot slot, CancellationToken ct) => owner.ThrowIn == "observe" && slot == Failing ? throw owner.Fault("observe") : inner.LiveAsync(slot, ct);
            public Task<DeployOutcome> DeployAsync(Release release, Action<string>? progress, CancellationToken ct) =>
                owner.ThrowIn == "apply" && release.Slot == Failing ? throw owner.Fault("apply") : inner.DeployAsync(release, progress, ct);
            public Task RemoveAsync(Slot slot, CancellationToken ct) => inner.RemoveAsync(slot, ct);
            public Task<HealthReading> ProbeAsync(Slot slot, HealthSpec health, CancellationToken ct) =>
                owner.ThrowIn == "health" && slot == Failing ? throw owner.Fault("health") : inner.ProbeAsync(slot, health, ct);
            public Task<IReadOnlyList<string>> LogsAsync(Slot slot, int lines, CancellationToken ct) => inner.LogsAsync(slot, lines, ct);
            public Task ShutdownAsync() => inner.ShutdownAsync();

            public event Action<DriftNotice>? Drifted
            {
                add => inner.Drifted += value;
                remove => inner.Drifted -= value;
            }
        }

        /// <summary>The target's slots, listed as usual, but asking whether it keeps one throws (a remote list that cannot be read).</summary>
        private sealed class Unlistable(IReadOnlyCollection<Slot> slots, FailingTarget owner) : ICollection<Slot>, IReadOnlyCollection<Slot>
        {
            public int Count => slots.Count;
            public bool IsReadOnly => true;
            public bool Contains(Slot item) => item == Failing ? throw owner.Fault("diff") : slots.Contains(item);
            public IEnumerator<Slot> GetEnumerator() => slots.GetEnumerator();
            System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
            public void CopyTo(Slot[] array, int arrayIndex) => slots.ToList().CopyTo(array, arrayIndex);
            public void Add(Slot item) => throw new NotSupportedException();
            public void Clear() => throw new NotSupportedException();
            public bool Remove(Slot item) => throw new NotSupportedException();
        }
    }
}
