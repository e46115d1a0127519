using Capstan.Delivery.Apps;
using Capstan.Delivery.Targets;

namespace Capstan.Delivery.Reconciliation;

public sealed partial class Reconciler
{
    // Each step of a pass returns one of these; Summarize turns them into the slot's state, Report into ledger entries
    // and chat messages. They carry what the step saw, not what to show: the sentences live in Report alone.

    /// <summary>What a step found or did for one slot.</summary>
    private abstract record StepResult(Slot Slot);

    /// <summary>What diff decided a slot needs, given its desired release and its live state.</summary>
    private enum SlotAction
    {
        /// <summary>Nothing to do now (an apply runs and still heads for the desired release).</summary>
        None,
        /// <summary>Neither desired nor running: the slot is forgotten.</summary>
        Forget,
        /// <summary>The desired release runs.</summary>
        InSync,
        /// <summary>The last apply failed or threw: wait (for a new change, a sync, or the retry time).</summary>
        Backoff,
        /// <summary>The desired release stopped outside Capstan and is not healed.</summary>
        Down,
        /// <summary>Start an apply of <see cref="DiffResult.Release"/>.</summary>
        Apply,
        /// <summary>The app is no longer desired in the environment: stop it.</summary>
        Remove,
    }

    /// <summary>
    /// The diff step's verdict. <paramref name="ClearFailure"/>: the live state matches the desired release, so an earlier
    /// failure of it no longer counts; <paramref name="Missing"/>: nothing runs; <paramref name="Drift"/>: a stop outside
    /// Capstan seen for the first time.
    /// </summary>
    private sealed record DiffResult(Slot Slot, SlotAction Action, LiveState? Live, Release? Release = null, string? Reason = null,
        bool ClearFailure = false, bool Missing = false, DriftFound? Drift = null) : StepResult(Slot);

    /// <summary>The desired release stopped outside Capstan; <paramref name="Healing"/>: it is restarted now.</summary>
    private sealed record DriftFound(LiveState Live, bool Healing, bool Held);

    /// <summary>
    /// A step threw for one slot — <see cref="ObserveStep"/> (the target could not be asked), <see cref="DiffStep"/> or
    /// <see cref="HealthStep"/> — and is tried again after a back-off; the other slots go on. (An apply that throws is an
    /// <see cref="ApplyThrew"/>.)
    /// </summary>
    private sealed record StepFailed(Slot Slot, string Step, Exception Error, int Attempt, TimeSpan RetryIn) : StepResult(Slot);

    private const string ObserveStep = "observe";
    private const string DiffStep = "diff";
    private const string HealthStep = "health";

    /// <summary>The release the slot should run now (null: none), as rendered; set at the start of each pass.</summary>
    private sealed record Wanted(Slot Slot, Release? Release) : StepResult(Slot);

    /// <summary>Someone asked to apply again (sync, deploy, rollback): a hold and a failed attempt no longer count.</summary>
    private sealed record Lifted(Slot Slot, bool Force) : StepResult(Slot);

    /// <summary>A commit since the last render changed what the slot should run.</summary>
    private sealed record CauseFound(Slot Slot, ChangeCause Cause) : StepResult(Slot);

    /// <summary>At start, the slot's newest commit is still Capstan's automatic revert: it is on hold again.</summary>
    private sealed record HoldRestored(Slot Slot, string Reason) : StepResult(Slot);

    /// <summary>At start, the slot's last healthy deployment as recorded.</summary>
    private sealed record LastDeployKnown(Slot Slot, DeploymentRecord Record) : StepResult(Slot);

    /// <summary>The target reported, between passes, that what runs stopped or changed.</summary>
    private sealed record DriftNoticed(Slot Slot, LiveState Live) : StepResult(Slot);

    /// <summary>An apply reached the target: it is recorded before the target starts work.</summary>
    private sealed record ApplyStarting(Slot Slot, Release Release, ChangeCause? Cause, string Reason, string Actor, string Target, RequestProgress? Progress) : StepResult(Slot);

    /// <summary>After a start, what runs in a slot was taken over: <paramref name="How"/> "still running" or "restarted".</summary>
    private sealed record Adopted(Slot Slot, LiveState Live, string How) : StepResult(Slot);

    /// <summary>Committing an automatic revert failed (the config repo could not be written).</summary>
    private sealed record RevertFailed(Slot Slot, Exception Error) : StepResult(Slot);

    /// <summary>An apply (or a removal) begins: <paramref name="Work"/> runs it, <paramref name="Cts"/> cancels it.</summary>
    private sealed record ApplyBegun(Slot Slot, string Key, string Detail, bool Removal, CancellationTokenSource Cts, Task Work) : StepResult(Slot);

    /// <summary>The target reported progress of a deploy ("starting 1.2.0 on port 40123").</summary>
    private sealed record ApplyProgress(Slot Slot, string Detail) : StepResult(Slot);

    /// <summary>An apply found its release already running (a queued apply whose work was done by another).</summary>
    private sealed record AlreadyRuns(Slot Slot, string Version, RequestProgress? Progress) : StepResult(Slot);

    /// <summary>A deploy became healthy and was recorded as <paramref name="Record"/>.</summary>
    private sealed record Deployed(Slot Slot, Release Release, ChangeCause? Cause, string Reason, RequestProgress? Progress, DeployOutcome Outcome,
        string By, string Actor, DeploymentRecord Record) : StepResult(Slot);

    /// <summary>A deploy failed; <paramref name="Live"/> is what runs now (the old version, or nothing).</summary>
    private sealed record DeployFailed(Slot Slot, Release Release, ChangeCause? Cause, string Reason, RequestProgress? Progress, DeployOutcome Outcome,
        string Actor, LiveState? Live) : StepResult(Slot);

    /// <summary>Capstan reverted the commit that caused a failed deploy (<paramref name="Revert"/>); the slot is held.</summary>
    private sealed record RevertCommitted(DeployFailed Failure, ChangeCause Cause, Core.Config.ConfigCommit Revert) : StepResult(Failure.Slot);

    /// <summary>A failed deploy was left as it is; <paramref name="Why"/> says why it was not rolled back.</summary>
    private sealed record LeftFailed(DeployFailed Failure, string Why) : StepResult(Failure.Slot);

    /// <summary>A newer change cancelled an apply.</summary>
    private sealed record Superseded(Slot Slot, string Version, ChangeCause? Cause, string Actor, RequestProgress? Progress) : StepResult(Slot);

    /// <summary>An apply threw (storage or I/O, not the app); retried after <paramref name="RetryIn"/>.</summary>
    private sealed record ApplyThrew(Slot Slot, Release Release, string Reason, Exception Error, int Attempt, TimeSpan RetryIn) : StepResult(Slot);

    /// <summary>What ran when Capstan stopped was started again (<paramref name="Live"/>) — or not (<paramref name="Detail"/> says why).</summary>
    private sealed record Resumed(Slot Slot, Release Release, LiveState? Live, string Detail) : StepResult(Slot);

    /// <summary>An app no longer desired in its environment was stopped.</summary>
    private sealed record Removed(Slot Slot, string? Version, ChangeCause? Cause, string? Commit) : StepResult(Slot);

    /// <summary>An apply ended: the slot is free for the next. <paramref name="Completed"/>: it did not throw, so the back-off starts over.</summary>
    private sealed record ApplyEnded(Slot Slot, CancellationTokenSource Apply, bool Completed) : StepResult(Slot);

    /// <summary>A health check of a running slot read <paramref name="Reading"/>.</summary>
    private sealed record Probed(Slot Slot, HealthReading Reading) : StepResult(Slot);

    /// <summary>A health reading that differs from the last one.</summary>
    private sealed record HealthTurned(Slot Slot, HealthState Was, HealthReading Reading) : StepResult(Slot);
}
