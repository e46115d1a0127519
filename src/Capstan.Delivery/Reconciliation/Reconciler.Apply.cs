using Capstan.Core.Config;
using Capstan.Delivery.Apps;
using Capstan.Delivery.Targets;
using Microsoft.Extensions.Logging;

namespace Capstan.Delivery.Reconciliation;

public sealed partial class Reconciler
{
    // apply: one per slot at a time; a newer change cancels the older apply (its health wait) and runs after it.
    // The caller holds the slot's lock.
    private void StartApply(SlotState s, Release release, string reason)
    {
        var book = s.Book;
        var previous = book.Applying;
        book.ApplyCts?.Cancel();
        var cts = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        var cause = book.Cause;
        var target = targets.For(Config, s.Slot);
        // The work folds nothing into the slot before ApplyBegun below: the caller holds the slot's lock until then.
        var work = Task.Run(async () =>
        {
            if (previous is not null) await previous.ContinueWith(_ => { }, TaskScheduler.Default);
            var completed = false;
            try
            {
                await ApplyAsync(s, target, release, cause, reason, cts.Token);
                completed = true;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // An apply that threw (the database or the disk failed, not the app) is a recorded failure, retried after a
                // delay that doubles each time (1 s up to 5 min), not at once: otherwise every pass would start it again.
                var attempt = s.Book.ApplyErrors + 1;
                var threw = new ApplyThrew(s.Slot, release, reason, ex, attempt, ApplyBackoff.After(attempt));
                Summarize(s, threw);
                await ReportAsync(threw);
            }
            finally
            {
                Summarize(s, new ApplyEnded(s.Slot, cts, completed));
                cts.Dispose();
                SlotChanged?.Invoke(s.Slot);
                Nudge();
            }
        }, CancellationToken.None);
        Summarize(s, new ApplyBegun(s.Slot, release.Key, $"applying {release.Version.Version}", Removal: false, cts, work));
    }

    // The caller holds the slot's lock.
    private void StartRemoval(SlotState s)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        var target = targets.For(Config, s.Slot);
        var work = Task.Run(async () =>
        {
            try
            {
                var live = await target.LiveAsync(s.Slot, cts.Token);
                await target.RemoveAsync(s.Slot, cts.Token);
                var cause = s.Book.Cause;
                var removed = new Removed(s.Slot, live?.Version, cause, cause?.Commit ?? _renderedCommit);
                await store.AddDeploymentAsync(new DeploymentRecord(0, s.Slot.App, s.Slot.Environment, live?.Version ?? "", removed.Commit ?? "", ByOf(cause),
                    clock.GetUtcNow(), DeploymentRecord.Removed, "removed from the environment", cause?.RequestId), CancellationToken.None);
                Summarize(s, removed);
                await ReportAsync(removed);
            }
            catch (OperationCanceledException) { }
            finally
            {
                Summarize(s, new ApplyEnded(s.Slot, cts, Completed: false));
                cts.Dispose();
                SlotChanged?.Invoke(s.Slot);
                Nudge();
            }
        }, CancellationToken.None);
        Summarize(s, new ApplyBegun(s.Slot, "(removed)", "removing: no longer desired in this environment", Removal: true, cts, work));
    }

    /// <summary>Who a change is shown as: the commit's author when a person made it, else Capstan.</summary>
    private static string ByOf(ChangeCause? cause) => cause?.AuthorName ?? "Capstan";

    private async Task ApplyAsync(SlotState s, ITarget target, Release release, ChangeCause? cause, string reason, CancellationToken ct)
    {
        if (reason == "resume")
        {
            await ResumeAsync(s, target, release, ct);
            return;
        }
        var slot = s.Slot;
        var version = release.Version.Version;
        cause ??= SafeLatest(slot);
        var actor = ActorOf(cause);
        var by = cause is { ByPerson: true } ? cause.AuthorName : "Capstan";
        var progress = reason == "change" ? await threads.FindAsync(cause?.RequestId, ct) : null;
        await _applies.WaitAsync(ct);
        try
        {
            if (await target.LiveAsync(slot, ct) is { Running: true } already && already.Key == release.Key)
            {
                // An apply queued behind another can find its work done (a rollback to what still runs): never apply twice.
                var done = new AlreadyRuns(slot, version, progress);
                Summarize(s, done);
                await ReportAsync(done);
                return;
            }
            await ReportAsync(new ApplyStarting(slot, release, cause, reason, actor, target.Kind, progress));
            var outcome = await target.DeployAsync(release, detail => Summarize(s, new ApplyProgress(slot, detail)), ct);
            ct.ThrowIfCancellationRequested(); // superseded while finishing: the newer apply reports, not this one
            if (outcome.Healthy)
            {
                var record = await store.AddDeploymentAsync(new DeploymentRecord(0, slot.App, slot.Environment, version, cause?.Commit ?? release.Commit, by,
                    clock.GetUtcNow(), DeploymentRecord.Healthy, outcome.Detail, cause?.RequestId), CancellationToken.None);
                var deployed = new Deployed(slot, release, cause, reason, progress, outcome, by, actor, record);
                Summarize(s, deployed);
                await ReportAsync(deployed);
            }
            else await FailedAsync(s, target, new DeployFailed(slot, release, cause, reason, progress, outcome, actor, null), by);
        }
        catch (OperationCanceledException) when (!_stopping.IsCancellationRequested && !_halting)
        {
            await ReportAsync(new Superseded(slot, version, cause, actor, progress));
        }
        finally
        {
            _applies.Release();
        }
    }

    /// <summary>
    /// A failed deploy is recorded, then rolled back when the environment's policy allows it and a person's commit caused
    /// it: Capstan commits the environment's pin as it was before, and holds the slot until someone deploys again.
    /// </summary>
    private async Task FailedAsync(SlotState s, ITarget target, DeployFailed failure, string by)
    {
        var slot = s.Slot;
        var release = failure.Release;
        var policy = Config.Policy(slot.Environment);
        await store.AddDeploymentAsync(new DeploymentRecord(0, slot.App, slot.Environment, release.Version.Version, failure.Cause?.Commit ?? release.Commit, by,
            clock.GetUtcNow(), DeploymentRecord.Failed, failure.Outcome.Detail, failure.Cause?.RequestId), CancellationToken.None);
        failure = failure with { Live = await target.LiveAsync(slot, CancellationToken.None) };
        Summarize(s, failure);
        var held = s.Book.Held;
        await ReportAsync(failure);

        ConfigCommit? revert = null;
        if (policy.AutoRollback && !held && failure.Cause is not null && failure.Reason is "change" or "sync")
            revert = await RevertAsync(slot, release, failure.Cause, failure.Outcome.Detail);
        if (revert is not null && failure.Cause is not null)
        {
            var rolledBack = new RevertCommitted(failure, failure.Cause, revert);
            Summarize(s, rolledBack);
            await ReportAsync(rolledBack);
            return;
        }
        var why = !policy.AutoRollback ? $"autoRollback is off for {slot.Environment}" : held ? "automatic changes are on hold after an earlier rollback" : "no commit to revert";
        await ReportAsync(new LeftFailed(failure, why));
    }

    /// <summary>
    /// Starts again what Capstan itself stopped when it last stopped. Not a deployment: no one's change is applied, so
    /// it is recorded as an adoption note only — no deployment record, no thread edit, no "is live" reply.
    /// </summary>
    private async Task ResumeAsync(SlotState s, ITarget target, Release release, CancellationToken ct)
    {
        var slot = s.Slot;
        await _applies.WaitAsync(ct);
        try
        {
            var outcome = await target.DeployAsync(release, detail => Summarize(s, new ApplyProgress(slot, detail)), ct);
            ct.ThrowIfCancellationRequested();
            var resumed = new Resumed(slot, release, outcome.Healthy ? outcome.Instance : null, outcome.Detail);
            Summarize(s, resumed);
            await ReportAsync(resumed);
        }
        finally
        {
            _applies.Release();
        }
    }

    /// <summary>Commits, as Capstan, the environment's pin file as it was before the commit that caused the failure.</summary>
    private async Task<ConfigCommit?> RevertAsync(Slot slot, Release failed, ChangeCause cause, string detail)
    {
        try
        {
            var path = DeliverySection.DesiredFile(slot);
            var bad = repo.ReadCommit(cause.Commit);
            var atCause = repo.ReadFiles(cause.Commit).GetValueOrDefault(path);
            var before = bad.Parents.Count == 0 ? null : repo.ReadFiles(bad.Parents[0]).GetValueOrDefault(path);
            if (before == atCause) return null; // the failing change was not to this environment's pin (an app file change)
            var trailers = new List<KeyValuePair<string, string>>();
            if (cause.RequestId is { } rid) trailers.Add(new(ChangeCause.RequestTrailer, rid));
            trailers.Add(new(ChangeCause.RollbackTrailer, "automatic"));
            var firstLine = detail.Split('\n')[0];
            var message = $"Revert \"{cause.Subject}\"\n\n{slot.App} {failed.Version.Version} failed its health check in {slot.Environment}: {firstLine}\n" +
                $"This reverts commit {cause.Commit} for {path}.\nAutomatic changes to {slot.App} in {slot.Environment} are on hold until someone deploys again.";
            return await repo.CommitAsync(new ConfigChange(message, ConfigRepo.CapstanCommitter,
                files => files.GetValueOrDefault(path) == atCause ? new Dictionary<string, string?> { [path] = before } : null, trailers), CancellationToken.None);
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or LibGit2Sharp.LibGit2SharpException)
        {
            await ReportAsync(new RevertFailed(slot, ex));
            return null;
        }
    }

    private ChangeCause? SafeLatest(Slot slot)
    {
        try { return CommitAttribution.Latest(repo, slot); }
        catch (Exception ex) when (ex is LibGit2Sharp.LibGit2SharpException or IOException) { return null; }
    }

    // assess health: synced slots are probed at their app's interval; changes are reported once.
    private async Task HealthLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), clock, ct);
                var now = clock.GetUtcNow();
                var due = _slots.Values.Where(s => s.Book is { Applying: null, Desired: { } desired, Live.Running: true } b
                    && (b.ProbeRetryAt is not { } retry || now >= retry)
                    && (b.LastProbe == 0 || clock.GetElapsedTime(b.LastProbe) >= desired.App.Health.Interval)).ToList();
                await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (s, token) =>
                {
                    if (s.Book.Desired?.App.Health is not { } spec) return;
                    HealthReading reading;
                    try { reading = await targets.For(Config, s.Slot).ProbeAsync(s.Slot, spec, token); }
                    catch (Exception ex) when (ex is not OperationCanceledException || !token.IsCancellationRequested)
                    {
                        // A probe that throws (not a failed check: the target could not be asked) is a recorded failure
                        // with a back-off for this slot; the other slots are still assessed.
                        var attempt = s.Book.ProbeErrors + 1;
                        var failed = new StepFailed(s.Slot, HealthStep, ex, attempt, ApplyBackoff.After(attempt));
                        Summarize(s, failed);
                        if (!_halting) await ReportAsync(failed);
                        return;
                    }
                    if (Summarize(s, new Probed(s.Slot, reading)) is not HealthTurned turned || _halting) return;
                    if (reading.State == HealthState.Missing) { Nudge(); return; }
                    await ReportAsync(turned);
                });
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // A probe failure is a health reading, not a loop failure; keep assessing.
                _log.LogWarning(ex, "Assessing health failed; the next pass tries again");
            }
        }
    }
}
