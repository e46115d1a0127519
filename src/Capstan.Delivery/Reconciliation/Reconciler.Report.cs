using Capstan.Core.Commands;
using Capstan.Core.Ledger.Events;
using Capstan.Delivery.Apps;
using Capstan.Delivery.Targets;
using Microsoft.Extensions.Logging;

namespace Capstan.Delivery.Reconciliation;

public sealed partial class Reconciler
{
    /// <summary>
    /// The one place a step's result becomes ledger entries and messages: the requesting thread (its progress steps and
    /// final reply) and the environment's room. Results that change nothing anyone is told of report nothing.
    /// </summary>
    private Task ReportAsync(StepResult result) => result switch
    {
        ApplyStarting a => ApplyStartingAsync(a),
        AlreadyRuns a => a.Progress?.StepAsync($"{a.Version} already runs") ?? Task.CompletedTask,
        Deployed d => DeployedAsync(d),
        DeployFailed f => DeployFailedAsync(f),
        RevertCommitted r => RevertCommittedAsync(r),
        LeftFailed l => LeftFailedAsync(l),
        Superseded x => SupersededAsync(x),
        ApplyThrew t => ApplyThrewAsync(t),
        StepFailed f => StepFailedAsync(f),
        Resumed r => ResumedAsync(r),
        Removed r => RemovedAsync(r),
        Adopted a => AdoptedAsync(a),
        RevertFailed r => ledger.AppendAsync(new DeliveryError("rollback", r.Slot.App, r.Slot.Environment, Detail: r.Error.Message), "capstan", RoomOf(r.Slot.Environment)),
        DiffResult { Drift: { } drift } d => DriftAsync(d.Slot, drift),
        HealthTurned h => HealthTurnedAsync(h),
        _ => Task.CompletedTask,
    };

    private async Task ApplyStartingAsync(ApplyStarting a)
    {
        var version = a.Release.Version.Version;
        await ledger.AppendAsync(new ApplyStarted(a.Slot.App, a.Slot.Environment, version, a.Cause?.Commit, a.Reason, a.Target, a.Cause?.RequestId),
            a.Actor, a.Progress?.Room ?? RoomOf(a.Slot.Environment), a.Progress?.Thread);
        if (a.Progress is not null) await a.Progress.StepAsync($"applying {version}");
    }

    private async Task DeployedAsync(Deployed d)
    {
        var (slot, cause, reason, progress, outcome, by) = (d.Slot, d.Cause, d.Reason, d.Progress, d.Outcome, d.By);
        var version = d.Release.Version.Version;
        var url = outcome.Instance?.Url ?? "";
        await ledger.AppendAsync(new DeploymentSucceeded(slot.App, slot.Environment, version, cause?.Commit, url, outcome.Took.TotalSeconds, reason,
            $"{slot.App} {version} healthy in {slot.Environment}"), d.Actor, progress?.Room ?? RoomOf(slot.Environment), progress?.Thread);
        var took = Sentences.Took(outcome.Took);
        if (progress is not null)
        {
            await progress.StepAsync($"healthy in {took}", ReplyTone.Success);
            await progress.FinishAsync(Say($"{slot.App} {version} is live and healthy in {slot.Environment} (took {took}): {url}", ReplyTone.Success));
            if (progress.Room != RoomOf(slot.Environment))
                await outbox.PostAsync(RoomOf(slot.Environment), null, Say(
                    $"{slot.App} {version} is live in {slot.Environment}: {by}'s \"{cause?.Subject}\" ({cause?.ShortCommit}), healthy in {took}. {url}", ReplyTone.Success));
        }
        else if (reason == "self-heal" || reason == "sync")
            await outbox.PostAsync(RoomOf(slot.Environment), null, Say($"{slot.App} {version} is running again in {slot.Environment} ({reason}; healthy in {took}): {url}", ReplyTone.Success));
        else
            await outbox.PostAsync(RoomOf(slot.Environment), null, Say(
                $"{slot.App} {version} is live in {slot.Environment}: " + (cause is null ? "" : $"commit {cause.ShortCommit} by {cause.AuthorName} (\"{cause.Subject}\"), ") + $"healthy in {took}. {url}", ReplyTone.Success));
    }

    private async Task DeployFailedAsync(DeployFailed f)
    {
        var version = f.Release.Version.Version;
        await ledger.AppendAsync(new DeploymentFailed(f.Slot.App, f.Slot.Environment, version, f.Cause?.Commit, f.Reason, f.Outcome.Detail,
            $"{f.Slot.App} {version} failed in {f.Slot.Environment}"), f.Actor, f.Progress?.Room ?? RoomOf(f.Slot.Environment), f.Progress?.Thread);
        if (f.Progress is not null) await f.Progress.StepAsync("failed", ReplyTone.Error);
    }

    /// <summary>What still runs after a failed deploy, for the sentences that report it.</summary>
    private static string Keeps(DeployFailed f) =>
        f.Live is { Running: true } live ? $"{live.Version} keeps running" : $"nothing runs for {f.Slot.App} in {f.Slot.Environment}";

    private async Task RevertCommittedAsync(RevertCommitted r)
    {
        var (f, cause, revert) = (r.Failure, r.Cause, r.Revert);
        var (slot, progress) = (f.Slot, f.Progress);
        var version = f.Release.Version.Version;
        var room = RoomOf(slot.Environment);
        await ledger.AppendAsync(new RolledBack(slot.App, slot.Environment, version, cause.Commit, revert.Sha, true, f.Outcome.Detail,
            $"automatic rollback of {slot.App} {version} in {slot.Environment}"), "capstan", progress?.Room ?? room, progress?.Thread);
        reloader.Nudge();
        Nudge();
        var text = $"{slot.App} {version} failed its health check in {slot.Environment}: {f.Outcome.Detail}\n" +
            $"Rolled back automatically: Capstan committed {revert.ShortSha} (\"{revert.Subject}\"), reverting {cause.ShortCommit}; {Keeps(f)}. " +
            $"Automatic changes to {slot.App} in {slot.Environment} are on hold until someone deploys again.";
        if (progress is not null)
        {
            await progress.StepAsync($"rolled back (revert {revert.ShortSha})", ReplyTone.Warning);
            await progress.FinishAsync(Say(text, ReplyTone.Error));
            if (progress.Room != room) await outbox.PostAsync(room, null, Say(text, ReplyTone.Error));
        }
        else await outbox.PostAsync(room, null, Say(text, ReplyTone.Error));
    }

    private async Task LeftFailedAsync(LeftFailed l)
    {
        var f = l.Failure;
        var (slot, progress) = (f.Slot, f.Progress);
        var version = f.Release.Version.Version;
        var room = RoomOf(slot.Environment);
        var failed = $"{slot.App} {version} failed in {slot.Environment}: {f.Outcome.Detail}\n{Keeps(f)}; not rolled back ({l.Why}). " +
            $"Deploy another version, or `sync {slot.App} in {slot.Environment}` to try {version} again.";
        if (progress is not null) await progress.FinishAsync(Say(failed, ReplyTone.Error));
        if (progress is null || progress.Room != room) await outbox.PostAsync(room, null, Say(failed, ReplyTone.Error));
    }

    private async Task SupersededAsync(Superseded x)
    {
        await ledger.AppendAsync(new ApplySuperseded(x.Slot.App, x.Slot.Environment, x.Version, x.Cause?.Commit), x.Actor, x.Progress?.Room ?? RoomOf(x.Slot.Environment), x.Progress?.Thread);
        if (x.Progress is not null) await x.Progress.StepAsync("superseded by a newer change", ReplyTone.Warning);
    }

    private async Task ApplyThrewAsync(ApplyThrew t)
    {
        var slot = t.Slot;
        _log.LogError(t.Error, "Applying {App} {Version} in {Environment} ({Reason}) failed; trying again in {Delay}", slot.App, t.Release.Version.Version, slot.Environment, t.Reason, t.RetryIn);
        await RecordErrorAsync(slot, new DeliveryError("apply", slot.App, slot.Environment, t.Release.Version.Version, t.Reason, t.Error.GetType().Name, t.Error.Message, t.Attempt, t.RetryIn.TotalSeconds));
    }

    private async Task StepFailedAsync(StepFailed f)
    {
        var slot = f.Slot;
        _log.LogError(f.Error, "The {Step} step for {App} in {Environment} failed; trying again in {Delay}", f.Step, slot.App, slot.Environment, f.RetryIn);
        await RecordErrorAsync(slot, new DeliveryError(f.Step, slot.App, slot.Environment, Error: f.Error.GetType().Name, Detail: f.Error.Message, Attempt: f.Attempt, RetryIn: f.RetryIn.TotalSeconds));
    }

    /// <summary>Records a step's failure; the ledger lives in the same database that may have just failed, so the log keeps it then.</summary>
    private async Task RecordErrorAsync(Slot slot, DeliveryError error)
    {
        try { await ledger.AppendAsync(error, "capstan", RoomOf(slot.Environment)); }
        catch (Exception ledgerError)
        {
            _log.LogError(ledgerError, "Recording the failed {Step} of {App} in {Environment} in the ledger failed too", error.Step, slot.App, slot.Environment);
        }
    }

    private async Task ResumedAsync(Resumed r)
    {
        var slot = r.Slot;
        if (r.Live is { } live)
        {
            await AdoptedAsync(new Adopted(slot, live, "restarted"));
            return;
        }
        var version = r.Release.Version.Version;
        await ledger.AppendAsync(new DeliveryError("resume", slot.App, slot.Environment, version, Detail: r.Detail), "capstan", RoomOf(slot.Environment));
        await outbox.PostAsync(RoomOf(slot.Environment), null, Say(
            $"{slot.App} {version} ran in {slot.Environment} when Capstan stopped, but did not start again: {r.Detail}\n" +
            $"`sync {slot.App} in {slot.Environment}` tries again.", ReplyTone.Error));
    }

    private async Task RemovedAsync(Removed r)
    {
        var slot = r.Slot;
        await ledger.AppendAsync(new SlotRemoved(slot.App, slot.Environment, r.Version, r.Cause?.Commit), ActorOf(r.Cause), RoomOf(slot.Environment));
        await outbox.PostAsync(RoomOf(slot.Environment), null, Say($"{slot.App} was removed from {slot.Environment} ({ByOf(r.Cause)}'s commit {r.Cause?.ShortCommit ?? "?"}); its process is stopped.", ReplyTone.Info));
    }

    /// <summary>The adoption note: what runs in a slot after a start, and whether it was still running or started again.</summary>
    private Task AdoptedAsync(Adopted a) =>
        ledger.AppendAsync(new SlotAdopted(a.Slot.App, a.Slot.Environment, a.Live.Version, a.Live.Instance.Number, a.How,
            $"{a.Slot.App} {a.Live.Version} in {a.Slot.Environment} adopted after a restart ({a.How})"), "capstan");

    // Drift goes to the ledger and the environment's room, once per incident (the board follows the state).
    private async Task DriftAsync(Slot slot, DriftFound drift)
    {
        var live = drift.Live;
        var what = $"{slot.App} {live.Version} ({live.Instance}) in {slot.Environment} {live.Ended ?? "is not running"}";
        var action = drift.Healing ? $"selfHeal is on for {slot.Environment}: restarting it."
            : drift.Held ? $"It is on hold after an automatic rollback, so Capstan leaves it; `sync {slot.App} in {slot.Environment}` restarts it."
            : $"selfHeal is off for {slot.Environment}, so it stays down; `sync {slot.App} in {slot.Environment}` restarts it.";
        await ledger.AppendAsync(new DriftDetected(slot.App, slot.Environment, live.Version, live.Instance.Number, live.Ended, drift.Healing, $"drift: {what}"),
            "capstan", RoomOf(slot.Environment));
        await outbox.PostAsync(RoomOf(slot.Environment), null, Say($"Drift: {what}, outside Capstan. {action}", ReplyTone.Warning));
    }

    private async Task HealthTurnedAsync(HealthTurned h)
    {
        var (slot, was, reading) = (h.Slot, h.Was, h.Reading);
        await ledger.AppendAsync(new HealthChanged(slot.App, slot.Environment, reading.State.ToString(), was.ToString(), reading.Detail,
            $"{slot.App} in {slot.Environment}: {was} → {reading.State}"), "capstan", RoomOf(slot.Environment));
        if (reading.State == HealthState.Degraded || was == HealthState.Degraded)
            await outbox.PostAsync(RoomOf(slot.Environment), null, Say(
                $"{slot.App} in {slot.Environment} is {reading.State} (was {was}): {reading.Detail}",
                reading.State == HealthState.Healthy ? ReplyTone.Success : ReplyTone.Warning));
    }
}
