using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Delivery.Apps;
using Capstan.Delivery.Targets;
using Microsoft.Extensions.Logging;

namespace Capstan.Delivery.Reconciliation;

public sealed partial class Reconciler
{
    // apply: one per slot at a time; a newer change cancels the older apply (its health wait) and runs after it.
    private void StartApply(SlotState s, Release release, string reason)
    {
        var previous = s.Applying;
        s.ApplyCts?.Cancel();
        var cts = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        s.ApplyCts = cts;
        s.ApplyingKey = release.Key;
        s.Sync = SyncState.Progressing;
        s.Health = HealthState.Progressing;
        s.Detail = $"applying {release.Version.Version}";
        s.Force = false;
        var cause = s.Cause;
        s.Applying = Task.Run(async () =>
        {
            if (previous is not null) await previous.ContinueWith(_ => { }, TaskScheduler.Default);
            try
            {
                await ApplyAsync(s, release, cause, reason, cts.Token);
                lock (s) { s.ApplyErrors = 0; s.RetryAt = null; }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                await ApplyThrewAsync(s, release, reason, ex);
            }
            finally
            {
                lock (s)
                {
                    if (s.ApplyCts == cts) { s.Applying = null; s.ApplyingKey = null; s.ApplyCts = null; }
                }
                cts.Dispose();
                SlotChanged?.Invoke(s.Slot);
                Nudge();
            }
        }, CancellationToken.None);
    }

    private void StartRemoval(SlotState s)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        s.ApplyCts = cts;
        s.ApplyingKey = "(removed)";
        s.Sync = SyncState.Progressing;
        s.Detail = "removing: no longer desired in this environment";
        s.Applying = Task.Run(async () =>
        {
            try
            {
                var live = target.Live(s.Slot);
                await target.RemoveAsync(s.Slot, cts.Token);
                var by = s.Cause?.AuthorName ?? "Capstan";
                await store.AddDeploymentAsync(new DeploymentRecord(0, s.Slot.App, s.Slot.Environment, live?.Version ?? "", s.Cause?.Commit ?? _renderedCommit ?? "", by, clock.GetUtcNow(), DeploymentRecord.Removed, "removed from the environment", s.Cause?.RequestId), CancellationToken.None);
                await ledger.AppendAsync("delivery.removed", ActorOf(s.Cause), RoomOf(s.Slot.Environment), null, new { app = s.Slot.App, environment = s.Slot.Environment, version = live?.Version, commit = s.Cause?.Commit });
                await outbox.PostAsync(RoomOf(s.Slot.Environment), null, Say($"{s.Slot.App} was removed from {s.Slot.Environment} ({by}'s commit {s.Cause?.ShortCommit ?? "?"}); its process is stopped.", ReplyTone.Info));
            }
            catch (OperationCanceledException) { }
            finally
            {
                lock (s) { if (s.ApplyCts == cts) { s.Applying = null; s.ApplyingKey = null; s.ApplyCts = null; } }
                cts.Dispose();
                SlotChanged?.Invoke(s.Slot);
                Nudge();
            }
        }, CancellationToken.None);
    }

    /// <summary>
    /// An apply that threw (the database or the disk failed, not the app) is a recorded failure, retried after a delay
    /// that doubles each time (1 s up to 5 min), not at once: otherwise every pass would start it again in a loop.
    /// </summary>
    private async Task ApplyThrewAsync(SlotState s, Release release, string reason, Exception ex)
    {
        var slot = s.Slot;
        TimeSpan delay;
        int attempt;
        lock (s)
        {
            attempt = ++s.ApplyErrors;
            delay = ApplyBackoff.After(s.ApplyErrors);
            s.RetryAt = clock.GetUtcNow() + delay;
            s.Sync = SyncState.Failed;
            s.Detail = $"applying {release.Version.Version} failed ({ex.Message}); trying again in {DurationText.Format(delay)}";
        }
        _log.LogError(ex, "Applying {App} {Version} in {Environment} ({Reason}) failed; trying again in {Delay}", slot.App, release.Version.Version, slot.Environment, reason, delay);
        try
        {
            await ledger.AppendAsync("delivery.error", "capstan", RoomOf(slot.Environment), null, new
            {
                step = "apply",
                app = slot.App,
                environment = slot.Environment,
                version = release.Version.Version,
                reason,
                error = ex.GetType().Name,
                detail = ex.Message,
                attempt,
                retryIn = delay.TotalSeconds,
            });
        }
        catch (Exception ledgerError)
        {
            // The ledger lives in the same database that may have just failed: the log keeps the record then.
            _log.LogError(ledgerError, "Recording the failed apply of {App} in {Environment} in the ledger failed too", slot.App, slot.Environment);
        }
    }

    private async Task ApplyAsync(SlotState s, Release release, ChangeCause? cause, string reason, CancellationToken ct)
    {
        if (reason == "resume")
        {
            await ResumeAsync(s, release, ct);
            return;
        }
        var slot = s.Slot;
        var version = release.Version.Version;
        cause ??= SafeLatest(slot);
        var actor = ActorOf(cause);
        var by = cause is { ByPerson: true } ? cause.AuthorName : "Capstan";
        var progress = reason == "change" ? await threads.FindAsync(cause?.RequestId, ct) : null;
        var room = RoomOf(slot.Environment);
        await _applies.WaitAsync(ct);
        try
        {
            if (target.Live(slot) is { Running: true } already && already.Key == release.Key)
            {
                // An apply queued behind another can find its work done (a rollback to what still runs): never apply twice.
                lock (s)
                {
                    s.Sync = SyncState.Synced;
                    s.Health = HealthState.Unknown;
                    s.FailedKey = null;
                    s.LastProbe = 0;
                }
                if (progress is not null) await progress.StepAsync($"{version} already runs");
                return;
            }
            await ledger.AppendAsync("delivery.apply", actor, progress?.Room ?? room, progress?.Thread, new
            {
                app = slot.App,
                environment = slot.Environment,
                version,
                commit = cause?.Commit,
                reason,
                target = target.Kind,
                request = cause?.RequestId,
            });
            if (progress is not null) await progress.StepAsync($"applying {version}");
            var outcome = await target.DeployAsync(release, detail =>
            {
                lock (s) s.Detail = detail;
                SlotChanged?.Invoke(slot);
            }, ct);
            ct.ThrowIfCancellationRequested(); // superseded while finishing: the newer apply reports, not this one
            if (outcome.Healthy) await HealthyAsync(s, release, cause, reason, progress, outcome, by, actor);
            else await FailedAsync(s, release, cause, reason, progress, outcome, by, actor);
        }
        catch (OperationCanceledException) when (!_stopping.IsCancellationRequested && !_halting)
        {
            await ledger.AppendAsync("delivery.superseded", actor, progress?.Room ?? room, progress?.Thread, new { app = slot.App, environment = slot.Environment, version, commit = cause?.Commit });
            if (progress is not null) await progress.StepAsync("superseded by a newer change", ReplyTone.Warning);
        }
        finally
        {
            _applies.Release();
        }
    }

    /// <summary>
    /// Starts again what Capstan itself stopped when it last stopped. Not a deployment: no one's change is applied, so
    /// it is recorded as an adoption note only — no deployment record, no thread edit, no "is live" reply.
    /// </summary>
    private async Task ResumeAsync(SlotState s, Release release, CancellationToken ct)
    {
        var slot = s.Slot;
        await _applies.WaitAsync(ct);
        try
        {
            var outcome = await target.DeployAsync(release, detail =>
            {
                lock (s) s.Detail = detail;
                SlotChanged?.Invoke(slot);
            }, ct);
            ct.ThrowIfCancellationRequested();
            if (outcome.Healthy && outcome.Instance is { } live)
            {
                lock (s) MarkHealthy(s, outcome.Detail);
                await AdoptedAsync(slot, live, "restarted");
                return;
            }
            lock (s)
            {
                s.FailedKey = release.Key;
                s.Sync = SyncState.Failed;
                s.Health = HealthState.Missing;
                s.Detail = outcome.Detail;
            }
            await ledger.AppendAsync("delivery.error", "capstan", RoomOf(slot.Environment), null, new
            {
                step = "resume",
                app = slot.App,
                environment = slot.Environment,
                version = release.Version.Version,
                detail = outcome.Detail,
            });
            await outbox.PostAsync(RoomOf(slot.Environment), null, Say(
                $"{slot.App} {release.Version.Version} ran in {slot.Environment} when Capstan stopped, but did not start again: {outcome.Detail}\n" +
                $"`sync {slot.App} in {slot.Environment}` tries again.", ReplyTone.Error));
        }
        finally
        {
            _applies.Release();
        }
    }

    /// <summary>A slot whose release runs and answered its health check (the caller holds the slot's lock).</summary>
    private void MarkHealthy(SlotState s, string detail)
    {
        s.Health = HealthState.Healthy;
        s.Sync = SyncState.Synced;
        s.FailedKey = null;
        s.DriftReported = false;
        s.Detail = detail;
        s.LastProbe = clock.GetTimestamp();
    }

    /// <summary>The adoption note: what runs in a slot after a start, and whether it was still running or started again.</summary>
    private Task AdoptedAsync(Slot slot, LiveInstance live, string how) =>
        ledger.AppendAsync("delivery.adopted", "capstan", null, null, new
        {
            app = slot.App,
            environment = slot.Environment,
            version = live.Version,
            pid = live.Pid,
            how,
            subject = $"{slot.App} {live.Version} in {slot.Environment} adopted after a restart ({how})",
        });

    private async Task HealthyAsync(SlotState s, Release release, ChangeCause? cause, string reason, RequestProgress? progress, DeployOutcome outcome, string by, string actor)
    {
        var slot = s.Slot;
        var version = release.Version.Version;
        var url = outcome.Instance?.Url ?? "";
        var record = await store.AddDeploymentAsync(new DeploymentRecord(0, slot.App, slot.Environment, version, cause?.Commit ?? release.Commit, by,
            clock.GetUtcNow(), DeploymentRecord.Healthy, outcome.Detail, cause?.RequestId), CancellationToken.None);
        lock (s)
        {
            MarkHealthy(s, outcome.Detail);
            s.LastDeploy = record;
        }
        await ledger.AppendAsync("delivery.healthy", actor, progress?.Room ?? RoomOf(slot.Environment), progress?.Thread, new
        {
            app = slot.App,
            environment = slot.Environment,
            version,
            commit = cause?.Commit,
            url,
            took = outcome.Took.TotalSeconds,
            reason,
            subject = $"{slot.App} {version} healthy in {slot.Environment}",
        });
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

    private async Task FailedAsync(SlotState s, Release release, ChangeCause? cause, string reason, RequestProgress? progress, DeployOutcome outcome, string by, string actor)
    {
        var slot = s.Slot;
        var version = release.Version.Version;
        var policy = Config.Policy(slot.Environment);
        var room = RoomOf(slot.Environment);
        await store.AddDeploymentAsync(new DeploymentRecord(0, slot.App, slot.Environment, version, cause?.Commit ?? release.Commit, by,
            clock.GetUtcNow(), DeploymentRecord.Failed, outcome.Detail, cause?.RequestId), CancellationToken.None);
        var live = target.Live(slot);
        bool held;
        lock (s)
        {
            s.FailedKey = release.Key;
            s.Sync = SyncState.Failed;
            s.Health = live is { Running: true } ? HealthState.Unknown : HealthState.Missing;
            s.Detail = outcome.Detail;
            s.LastProbe = 0;
            held = s.Held;
        }
        await ledger.AppendAsync("delivery.failed", actor, progress?.Room ?? room, progress?.Thread, new
        {
            app = slot.App,
            environment = slot.Environment,
            version,
            commit = cause?.Commit,
            reason,
            detail = outcome.Detail,
            subject = $"{slot.App} {version} failed in {slot.Environment}",
        });
        if (progress is not null) await progress.StepAsync("failed", ReplyTone.Error);
        var keeps = live is { Running: true } ? $"{live.Version} keeps running" : $"nothing runs for {slot.App} in {slot.Environment}";

        ConfigCommit? revert = null;
        if (policy.AutoRollback && !held && cause is not null && reason is "change" or "sync")
            revert = await RevertAsync(slot, release, cause, outcome.Detail);
        if (revert is not null && cause is not null)
        {
            lock (s)
            {
                s.Held = true;
                s.HeldReason = HoldReason(version, revert.When, revert.ShortSha);
            }
            await ledger.AppendAsync("delivery.rollback", "capstan", progress?.Room ?? room, progress?.Thread, new
            {
                app = slot.App,
                environment = slot.Environment,
                version,
                reverted = cause.Commit,
                revert = revert.Sha,
                automatic = true,
                detail = outcome.Detail,
                subject = $"automatic rollback of {slot.App} {version} in {slot.Environment}",
            });
            reloader.Nudge();
            Nudge();
            var text = $"{slot.App} {version} failed its health check in {slot.Environment}: {outcome.Detail}\n" +
                $"Rolled back automatically: Capstan committed {revert.ShortSha} (\"{revert.Subject}\"), reverting {cause.ShortCommit}; {keeps}. " +
                $"Automatic changes to {slot.App} in {slot.Environment} are on hold until someone deploys again.";
            if (progress is not null)
            {
                await progress.StepAsync($"rolled back (revert {revert.ShortSha})", ReplyTone.Warning);
                await progress.FinishAsync(Say(text, ReplyTone.Error));
                if (progress.Room != room) await outbox.PostAsync(room, null, Say(text, ReplyTone.Error));
            }
            else await outbox.PostAsync(room, null, Say(text, ReplyTone.Error));
            return;
        }
        var why = !policy.AutoRollback ? $"autoRollback is off for {slot.Environment}" : held ? "automatic changes are on hold after an earlier rollback" : "no commit to revert";
        var failed = $"{slot.App} {version} failed in {slot.Environment}: {outcome.Detail}\n{keeps}; not rolled back ({why}). " +
            $"Deploy another version, or `sync {slot.App} in {slot.Environment}` to try {version} again.";
        if (progress is not null) await progress.FinishAsync(Say(failed, ReplyTone.Error));
        if (progress is null || progress.Room != room) await outbox.PostAsync(room, null, Say(failed, ReplyTone.Error));
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
            await ledger.AppendAsync("delivery.error", "capstan", RoomOf(slot.Environment), null, new { step = "rollback", app = slot.App, environment = slot.Environment, detail = ex.Message });
            return null;
        }
    }

    private ChangeCause? SafeLatest(Slot slot)
    {
        try { return CommitAttribution.Latest(repo, slot); }
        catch (Exception ex) when (ex is LibGit2Sharp.LibGit2SharpException or IOException) { return null; }
    }

    // report: drift goes to the ledger, the board and the environment's room, once per incident.
    private async Task ReportDriftAsync(Slot slot, LiveInstance live, EnvironmentPolicy policy, bool healing, bool held)
    {
        var what = $"{slot.App} {live.Version} (pid {live.Pid}) in {slot.Environment} {live.Ended ?? "is not running"}";
        var action = healing ? $"selfHeal is on for {slot.Environment}: restarting it."
            : held ? $"It is on hold after an automatic rollback, so Capstan leaves it; `sync {slot.App} in {slot.Environment}` restarts it."
            : $"selfHeal is off for {slot.Environment}, so it stays down; `sync {slot.App} in {slot.Environment}` restarts it.";
        await ledger.AppendAsync("delivery.drift", "capstan", RoomOf(slot.Environment), null, new
        {
            app = slot.App,
            environment = slot.Environment,
            version = live.Version,
            pid = live.Pid,
            what = live.Ended,
            healing,
            subject = $"drift: {what}",
        });
        await outbox.PostAsync(RoomOf(slot.Environment), null, Say($"Drift: {what}, outside Capstan. {action}", ReplyTone.Warning));
    }

    // assess health: synced slots are probed at their app's interval; changes are reported once.
    private async Task HealthLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), clock, ct);
                var due = _slots.Values.Where(s =>
                {
                    lock (s) return s.Applying is null && s.Desired is not null && target.Live(s.Slot) is { Running: true }
                        && (s.LastProbe == 0 || clock.GetElapsedTime(s.LastProbe) >= s.Desired.App.Health.Interval);
                }).ToList();
                await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (s, token) =>
                {
                    var spec = s.Desired?.App.Health;
                    if (spec is null) return;
                    var reading = await target.ProbeAsync(s.Slot, spec, token);
                    HealthState before;
                    lock (s)
                    {
                        s.LastProbe = clock.GetTimestamp();
                        if (s.Applying is not null) return;
                        before = s.Health;
                        s.Health = reading.State;
                        if (s.Sync != SyncState.Failed) s.Detail = reading.Detail;
                    }
                    if (before == reading.State || _halting) return;
                    SlotChanged?.Invoke(s.Slot);
                    if (reading.State == HealthState.Missing) { Nudge(); return; }
                    await ledger.AppendAsync("delivery.health", "capstan", RoomOf(s.Slot.Environment), null, new
                    {
                        app = s.Slot.App,
                        environment = s.Slot.Environment,
                        health = reading.State.ToString(),
                        was = before.ToString(),
                        detail = reading.Detail,
                        subject = $"{s.Slot.App} in {s.Slot.Environment}: {before} → {reading.State}",
                    });
                    if (reading.State == HealthState.Degraded || before == HealthState.Degraded)
                        await outbox.PostAsync(RoomOf(s.Slot.Environment), null, Say(
                            $"{s.Slot.App} in {s.Slot.Environment} is {reading.State} (was {before}): {reading.Detail}",
                            reading.State == HealthState.Healthy ? ReplyTone.Success : ReplyTone.Warning));
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
