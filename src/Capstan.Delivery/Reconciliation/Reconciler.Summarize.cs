using Capstan.Core.Commands;
using Capstan.Delivery.Apps;
using Capstan.Delivery.Targets;

namespace Capstan.Delivery.Reconciliation;

public sealed partial class Reconciler
{
    /// <summary>What the board and status show for a slot: replaced whole, and only by <see cref="Summarize"/>.</summary>
    private sealed record SlotStatus(SyncState Sync, HealthState Health, string Detail)
    {
        public static readonly SlotStatus Initial = new(SyncState.OutOfSync, HealthState.Unknown, "");
    }

    /// <summary>
    /// The one place a slot's state changes: each step's result is folded into it here, under the slot's lock, and
    /// observers hear of it when anything shown changed. Returns a follow-up result to report, if the change is news
    /// (a health reading that differs from the last).
    /// </summary>
    private StepResult? Summarize(SlotState s, StepResult result)
    {
        StepResult? news = null;
        bool changed;
        lock (s)
        {
            var before = s.Signature();
            var status = s.Status;
            switch (result)
            {
                case DiffResult d:
                    s.Live = d.Live;
                    if (d.ClearFailure) s.FailedKey = null;
                    if (d.Drift is not null) s.DriftReported = true;
                    status = d.Action switch
                    {
                        SlotAction.InSync => status with
                        {
                            Sync = SyncState.Synced,
                            Health = status.Health is HealthState.Progressing or HealthState.Missing ? HealthState.Unknown : status.Health,
                        },
                        SlotAction.Backoff => status with { Sync = SyncState.Failed, Health = d.Missing ? HealthState.Missing : status.Health },
                        SlotAction.Down => new SlotStatus(SyncState.OutOfSync, HealthState.Missing, $"{d.Live!.Version} {d.Live.Ended ?? "is not running"}"),
                        _ => status,
                    };
                    if (d.Action == SlotAction.InSync) s.Force = false;
                    break;
                case ObserveFailed f:
                    s.ObserveErrors = f.Attempt;
                    s.ObserveRetryAt = clock.GetUtcNow() + f.RetryIn;
                    status = status with { Detail = $"asking the target failed ({f.Error.Message}); trying again in {DurationText.Format(f.RetryIn)}" };
                    break;
                case ApplyBegun b:
                    s.ApplyingKey = b.Key;
                    status = b.Removal ? status with { Sync = SyncState.Progressing, Detail = b.Detail } : new SlotStatus(SyncState.Progressing, HealthState.Progressing, b.Detail);
                    if (!b.Removal) s.Force = false;
                    break;
                case ApplyProgress p:
                    status = status with { Detail = p.Detail };
                    break;
                case AlreadyRuns:
                    status = status with { Sync = SyncState.Synced, Health = HealthState.Unknown };
                    s.FailedKey = null;
                    s.LastProbe = 0;
                    break;
                case Deployed d:
                    status = Healthy(s, d.Outcome.Detail);
                    s.Live = d.Outcome.Instance ?? s.Live;
                    s.LastDeploy = d.Record;
                    break;
                case DeployFailed f:
                    s.Live = f.Live;
                    s.FailedKey = f.Release.Key;
                    status = new SlotStatus(SyncState.Failed, f.Live is { Running: true } ? HealthState.Unknown : HealthState.Missing, f.Outcome.Detail);
                    s.LastProbe = 0;
                    break;
                case RevertCommitted r:
                    s.Held = true;
                    s.HeldReason = HoldReason(r.Failure.Release.Version.Version, r.Revert.When, r.Revert.ShortSha);
                    break;
                case ApplyThrew t:
                    s.ApplyErrors = t.Attempt;
                    s.RetryAt = clock.GetUtcNow() + t.RetryIn;
                    status = status with { Sync = SyncState.Failed, Detail = $"applying {t.Release.Version.Version} failed ({t.Error.Message}); trying again in {DurationText.Format(t.RetryIn)}" };
                    break;
                case Resumed { Live: { } live } r:
                    s.Live = live;
                    status = Healthy(s, r.Detail);
                    break;
                case Resumed r:
                    s.FailedKey = r.Release.Key;
                    status = new SlotStatus(SyncState.Failed, HealthState.Missing, r.Detail);
                    break;
                case Removed:
                    s.Live = null;
                    break;
                case ApplyEnded e:
                    if (e.Completed) { s.ApplyErrors = 0; s.RetryAt = null; }
                    if (s.ApplyCts == e.Apply) { s.Applying = null; s.ApplyingKey = null; s.ApplyCts = null; }
                    break;
                case Probed p:
                    s.LastProbe = clock.GetTimestamp();
                    if (s.Applying is not null) break;
                    if (p.Reading.State != status.Health) news = new HealthTurned(p.Slot, status.Health, p.Reading);
                    status = status with { Health = p.Reading.State, Detail = status.Sync != SyncState.Failed ? p.Reading.Detail : status.Detail };
                    break;
            }
            s.Status = status;
            changed = s.Signature() != before;
        }
        if (changed) SlotChanged?.Invoke(s.Slot);
        return news;
    }

    /// <summary>A slot whose release runs and answered its health check (the caller holds the slot's lock).</summary>
    private SlotStatus Healthy(SlotState s, string detail)
    {
        s.FailedKey = null;
        s.DriftReported = false;
        s.LastProbe = clock.GetTimestamp();
        return new SlotStatus(SyncState.Synced, HealthState.Healthy, detail);
    }

    /// <summary>
    /// One slot's bookkeeping, under its own lock: what it should run and why, the apply in flight, holds and retries,
    /// the live state last observed and the <see cref="SlotStatus"/> shown.
    /// </summary>
    private sealed class SlotState(Slot slot)
    {
        public Slot Slot { get; } = slot;
        public SlotStatus Status = SlotStatus.Initial;
        public LiveState? Live;
        public Release? Desired;
        public ChangeCause? Cause;
        public Task? Applying;
        public CancellationTokenSource? ApplyCts;
        public string? ApplyingKey;
        public string? FailedKey;
        public bool Held;
        public string? HeldReason;
        public bool Force;
        public bool DriftReported;
        public long LastProbe;
        /// <summary>Applies that threw in a row (storage or I/O), and when the next may start.</summary>
        public int ApplyErrors;
        public DateTimeOffset? RetryAt;
        /// <summary>Observations of the live state that threw in a row, and when the next may be asked.</summary>
        public int ObserveErrors;
        public DateTimeOffset? ObserveRetryAt;
        public DeploymentRecord? LastDeploy;

        public string Signature() => $"{Desired?.Key}|{Live?.Key}|{Live?.Running}|{Live?.Instance}|{Status}|{Held}|{Applying is null}|{LastDeploy?.Id}";
    }
}
