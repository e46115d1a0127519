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
    /// The one place a slot's state changes: each step's result is folded into the slot's <see cref="SlotBook"/>, which
    /// is replaced whole (under the slot's lock, so two results never fold into the same old book), and observers hear
    /// of it when anything shown changed. Returns a follow-up result to report, if the change is news (a health reading
    /// that differs from the last).
    /// </summary>
    private StepResult? Summarize(SlotState s, StepResult result)
    {
        StepResult? news;
        bool changed;
        lock (s)
        {
            var before = s.Book;
            (var after, news) = Fold(before, result);
            s.Replace(after);
            changed = after.Signature() != before.Signature();
        }
        if (changed) SlotChanged?.Invoke(s.Slot);
        return news;
    }

    /// <summary>The slot's book after one result, and the news it makes; reads only the book, the result and the clock.</summary>
    private (SlotBook After, StepResult? News) Fold(SlotBook b, StepResult result)
    {
        var status = b.Status;
        switch (result)
        {
            case Wanted w:
                return (b with { Desired = w.Release }, null);
            case Lifted l:
                return (b with { Held = false, HeldReason = null, FailedKey = null, Force = l.Force, LastProbe = 0, StepRetryAt = null, ProbeRetryAt = null }, null);
            case CauseFound c:
                return (c.Cause.ByPerson ? b with { Cause = c.Cause, FailedKey = null, Held = false, HeldReason = null } : b with { Cause = c.Cause, FailedKey = null }, null);
            case HoldRestored h:
                return (b with { Held = true, HeldReason = h.Reason }, null);
            case LastDeployKnown k:
                return (b with { LastDeploy = k.Record }, null);
            case Adopted a:
                return (b with { Live = a.Live }, null);
            case DriftNoticed d:
                return (b with { Live = d.Live }, null);
            case DiffResult d:
                b = b with { Live = d.Live, StepErrors = 0, StepRetryAt = null };
                if (d.ClearFailure) b = b with { FailedKey = null };
                if (d.Drift is not null) b = b with { DriftReported = true };
                if (d.Action == SlotAction.InSync) b = b with { Force = false };
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
                break;
            case StepFailed f:
                b = f.Step == HealthStep
                    ? b with { ProbeErrors = f.Attempt, ProbeRetryAt = clock.GetUtcNow() + f.RetryIn }
                    : b with { StepErrors = f.Attempt, StepRetryAt = clock.GetUtcNow() + f.RetryIn };
                var doing = f.Step switch { ObserveStep => "asking the target", DiffStep => "deciding what the slot needs", _ => "checking health" };
                status = status with { Detail = $"{doing} failed ({f.Error.Message}); trying again in {DurationText.Format(f.RetryIn)}" };
                break;
            case ApplyBegun a:
                b = b with { ApplyingKey = a.Key, Applying = a.Work, ApplyCts = a.Cts, Force = a.Removal && b.Force };
                status = a.Removal ? status with { Sync = SyncState.Progressing, Detail = a.Detail } : new SlotStatus(SyncState.Progressing, HealthState.Progressing, a.Detail);
                break;
            case ApplyProgress p:
                status = status with { Detail = p.Detail };
                break;
            case AlreadyRuns:
                status = status with { Sync = SyncState.Synced, Health = HealthState.Unknown };
                b = b with { FailedKey = null, LastProbe = 0 };
                break;
            case Deployed d:
                b = Healthy(b) with { Live = d.Outcome.Instance ?? b.Live, LastDeploy = d.Record };
                status = new SlotStatus(SyncState.Synced, HealthState.Healthy, d.Outcome.Detail);
                break;
            case DeployFailed f:
                b = b with { Live = f.Live, FailedKey = f.Release.Key, LastProbe = 0 };
                status = new SlotStatus(SyncState.Failed, f.Live is { Running: true } ? HealthState.Unknown : HealthState.Missing, f.Outcome.Detail);
                break;
            case RevertCommitted r:
                b = b with { Held = true, HeldReason = HoldReason(r.Failure.Release.Version.Version, r.Revert.When, r.Revert.ShortSha) };
                break;
            case ApplyThrew t:
                b = b with { ApplyErrors = t.Attempt, ApplyRetryAt = clock.GetUtcNow() + t.RetryIn };
                status = status with { Sync = SyncState.Failed, Detail = $"applying {t.Release.Version.Version} failed ({t.Error.Message}); trying again in {DurationText.Format(t.RetryIn)}" };
                break;
            case Resumed { Live: { } live } r:
                b = Healthy(b) with { Live = live };
                status = new SlotStatus(SyncState.Synced, HealthState.Healthy, r.Detail);
                break;
            case Resumed r:
                b = b with { FailedKey = r.Release.Key };
                status = new SlotStatus(SyncState.Failed, HealthState.Missing, r.Detail);
                break;
            case Removed:
                b = b with { Live = null };
                break;
            case ApplyEnded e:
                if (e.Completed) b = b with { ApplyErrors = 0, ApplyRetryAt = null };
                if (b.ApplyCts == e.Apply) b = b with { Applying = null, ApplyingKey = null, ApplyCts = null };
                break;
            case Probed p:
                b = b with { LastProbe = clock.GetTimestamp(), ProbeErrors = 0, ProbeRetryAt = null };
                if (b.Applying is not null) break;
                StepResult? news = p.Reading.State != status.Health ? new HealthTurned(p.Slot, status.Health, p.Reading) : null;
                status = status with { Health = p.Reading.State, Detail = status.Sync != SyncState.Failed ? p.Reading.Detail : status.Detail };
                return (b with { Status = status }, news);
        }
        return (b with { Status = status }, null);
    }

    /// <summary>A slot whose release runs and answered its health check: earlier failures and drift no longer count.</summary>
    private SlotBook Healthy(SlotBook b) => b with { FailedKey = null, DriftReported = false, LastProbe = clock.GetTimestamp() };

    /// <summary>
    /// One slot's bookkeeping, replaced whole by <see cref="Summarize"/> and never changed in place: what it should run and
    /// why, the apply in flight, holds and retries (per step: observe and diff, apply, health), the live state last observed
    /// and the <see cref="SlotStatus"/> shown.
    /// </summary>
    private sealed record SlotBook(
        SlotStatus Status, LiveState? Live, Release? Desired, ChangeCause? Cause,
        Task? Applying, CancellationTokenSource? ApplyCts, string? ApplyingKey, string? FailedKey,
        bool Held, string? HeldReason, bool Force, bool DriftReported, long LastProbe,
        int ApplyErrors, DateTimeOffset? ApplyRetryAt, int StepErrors, DateTimeOffset? StepRetryAt, int ProbeErrors, DateTimeOffset? ProbeRetryAt,
        DeploymentRecord? LastDeploy)
    {
        public static readonly SlotBook Initial = new(SlotStatus.Initial, null, null, null, null, null, null, null, false, null, false, false, 0, 0, null, 0, null, 0, null, null);

        /// <summary>What observers are told about: a change here raises <see cref="SlotChanged"/>.</summary>
        public string Signature() => $"{Desired?.Key}|{Live?.Key}|{Live?.Running}|{Live?.Instance}|{Status}|{Held}|{Applying is null}|{LastDeploy?.Id}";
    }

    /// <summary>A slot and its current <see cref="SlotBook"/>; anyone may read the book, only <see cref="Summarize"/> replaces it.</summary>
    private sealed class SlotState(Slot slot)
    {
        private SlotBook _book = SlotBook.Initial;

        public Slot Slot { get; } = slot;

        public SlotBook Book => Volatile.Read(ref _book);

        public void Replace(SlotBook book) => Volatile.Write(ref _book, book);
    }
}
