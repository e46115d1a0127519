using System.Collections.Concurrent;
using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Conversation;
using Capstan.Core.Leadership;
using Capstan.Core.Ledger.Events;
using Capstan.Delivery.Apps;
using Capstan.Delivery.Targets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Capstan.Delivery.Reconciliation;

/// <summary>What one reconcile pass looked at and did.</summary>
public sealed record PassReport(string Commit, int Slots, int Started, TimeSpan Took);

/// <summary>One app in one environment as the reconciler sees it now.</summary>
public sealed record SlotView(
    Slot Slot, string? DesiredVersion, LiveState? Live, SyncState Sync, HealthState Health, string Detail,
    ChangeCause? Cause, DeploymentRecord? LastDeploy, bool Held, string? HeldReason, bool Applying);

/// <summary>
/// Makes what runs match the config repo's HEAD. Each pass reads as its steps: fetch (the configuration in
/// force) → render (the release every app/environment should run) → observe (each slot's live state, from the
/// environment's target) → diff (what the slot needs) → apply (start new → healthy → stop old, one apply per slot at a
/// time, a newer change cancelling an older one's health wait); health is assessed beside the passes. Every step returns
/// a result record; <see cref="Summarize"/> alone turns results into the slot's state and <see cref="ReportAsync"/> alone
/// into ledger entries and messages (the requesting thread, the environment's room). Config changes and drift wake it at
/// once; polling is the fallback.
/// </summary>
public sealed partial class Reconciler(
    ConfigState config,
    ConfigReloader reloader,
    ConfigRepo repo,
    TargetRegistry targets,
    IDeliveryStore store,
    RequestThreads threads,
    Core.Ledger.Ledger ledger,
    Outbox outbox,
    TimeProvider clock,
    DeliveryOptions options,
    Core.Leadership.ILeadership leadership,
    ILogger<Reconciler>? log = null) : BackgroundService
{
    private readonly ILogger _log = log ?? NullLogger<Reconciler>.Instance;
    private readonly ConcurrentDictionary<Slot, SlotState> _slots = new();
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private readonly SemaphoreSlim _passGate = new(1, 1);
    private readonly SemaphoreSlim _prepareGate = new(1, 1);
    private readonly SemaphoreSlim _applies = new(options.MaxParallelApplies, options.MaxParallelApplies);
    private readonly CancellationTokenSource _stopping = new();
    private Dictionary<Slot, Release> _desired = [];
    private string? _renderedCommit;
    private volatile bool _started;
    /// <summary>Set when Capstan begins to stop: no apply, heal or report starts after it (apps are being stopped on purpose).</summary>
    private volatile bool _halting;

    /// <summary>The delivery configuration of the commit last rendered.</summary>
    public DeliveryConfig Config { get; private set; } = DeliveryConfig.Empty;

    /// <summary>The commit whose desired state the reconciler works towards.</summary>
    public string? RenderedCommit => _renderedCommit;

    /// <summary>Raised whenever anything shown for a slot changes (sync, health, version, detail).</summary>
    public event Action<Slot>? SlotChanged;

    /// <summary>Asks for a pass now (after a commit, a push hook, or drift).</summary>
    public void Nudge() => _wake.Release();

    /// <summary>Lifts a hold and forgets a failed attempt, so the next pass applies again (sync, deploy, rollback).</summary>
    public void Lift(Slot slot, bool force)
    {
        Summarize(State(slot), new Lifted(slot, force));
        Nudge();
    }

    public IReadOnlyList<SlotView> Views() => _slots.Values.Select(View).OrderBy(v => v.Slot.App, StringComparer.Ordinal).ThenBy(v => v.Slot.Environment, StringComparer.Ordinal).ToList();

    public SlotView? View(Slot slot) => _slots.TryGetValue(slot, out var s) ? View(s) : null;

    /// <summary>Probes, now and in parallel, every environment that should run the app (for <c>check PRODUCT</c>); null for an unknown app.</summary>
    public async Task<IReadOnlyList<AppReading>?> ProbeAppAsync(string app, TimeSpan budget, CancellationToken ct)
    {
        var wanted = _slots.Values.Where(s => s.Slot.App == app).Select(s => s.Book.Desired).OfType<Release>()
            .OrderBy(r => r.Slot.Environment, StringComparer.Ordinal).ToList();
        if (wanted.Count == 0 && !DeclaredApps.Contains(app)) return null;
        return await Task.WhenAll(wanted.Select(async r =>
        {
            var started = clock.GetTimestamp();
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(budget);
            try
            {
                var reading = await targets.For(Config, r.Slot).ProbeAsync(r.Slot, r.App.Health, limit.Token);
                return new AppReading(r.Slot.Environment, reading.State == HealthState.Healthy, clock.GetElapsedTime(started),
                    $"{r.Version.Version}: {(reading.Detail.Length > 0 ? reading.Detail : reading.State.ToString().ToLowerInvariant())}");
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return new AppReading(r.Slot.Environment, false, clock.GetElapsedTime(started), $"{r.Version.Version}: no answer within {DurationText.Format(budget)} (the time budget)");
            }
        }));
    }

    /// <summary>The last lines an app wrote in an environment, from the environment's target.</summary>
    public Task<IReadOnlyList<string>> LogsAsync(Slot slot, int lines, CancellationToken ct) => targets.For(Config, slot).LogsAsync(slot, lines, ct);

    /// <summary>The apps the configuration in force declares.</summary>
    public IReadOnlyCollection<string> DeclaredApps => (config.Current.Find<DeliveryConfig>() ?? DeliveryConfig.Empty).Apps.Keys.ToList();

    /// <summary>
    /// Loads what is known from disk and adopts what already runs, once, before the first pass. A pass asked for
    /// earlier (a chat <c>sync</c> right after start-up) waits for it: a deploy before adoption would start a second
    /// copy of an app that still runs.
    /// </summary>
    public async Task PrepareAsync(CancellationToken ct)
    {
        if (_started) return;
        await _prepareGate.WaitAsync(ct);
        try
        {
            if (_started) return;
            await store.EnsureAsync(ct);
            foreach (var target in targets.All) await target.AdoptAsync(ct);
            foreach (var d in await store.LastHealthyAsync(ct))
            {
                var slot = new Slot(d.App, d.Environment);
                Summarize(State(slot), new LastDeployKnown(slot, d));
            }
            await RestoreHoldsAsync(ct);
            // Adoption is a note, not a deployment: what ran before the restart is simply still there.
            foreach (var target in targets.All)
                foreach (var slot in target.Slots)
                    if (await target.LiveAsync(slot, ct) is { Running: true } live)
                    {
                        var adopted = new Adopted(slot, live, "still running");
                        Summarize(State(slot), adopted);
                        await ReportAsync(adopted);
                    }
            config.Changed += _ => Nudge();
            foreach (var target in targets.All) target.Drifted += Drifted;
            _started = true;
        }
        finally
        {
            _prepareGate.Release();
        }
    }

    /// <summary>
    /// A hold after an automatic rollback lasts until someone deploys again, also across a restart: a slot whose newest
    /// commit is still Capstan's automatic revert is on hold again, with the same reason the board showed before.
    /// </summary>
    private async Task RestoreHoldsAsync(CancellationToken ct)
    {
        var cfg = config.Current.Find<DeliveryConfig>() ?? DeliveryConfig.Empty;
        foreach (var slot in cfg.Desired.Keys)
        {
            if (SafeLatest(slot) is not { AutomaticRollback: true, ByPerson: false } revert) continue;
            var failed = (await store.DeploymentsAsync(slot.App, slot.Environment, 50, ct)).FirstOrDefault(d => d.Outcome == DeploymentRecord.Failed);
            Summarize(State(slot), new HoldRestored(slot, HoldReason(failed?.Version ?? "a failed version", revert.At, revert.ShortCommit)));
        }
    }

    /// <summary>A target saw what it runs stop or change: the board shows it at once, the next pass (now) acts on it.</summary>
    private void Drifted(DriftNotice notice)
    {
        if (_slots.TryGetValue(notice.Slot, out var s)) Summarize(s, new DriftNoticed(notice.Slot, notice.Instance));
        Nudge();
    }

    private static string HoldReason(string version, DateTimeOffset at, string revert) =>
        $"automatic rollback of {version} at {at.UtcDateTime:yyyy-MM-dd HH:mm} UTC (revert {revert})";

    // Only the leader reconciles: replicas sharing a database would otherwise apply the same release twice.
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => leadership.WhileLeaderAsync(LeadAsync, stoppingToken);

    private async Task LeadAsync(CancellationToken stoppingToken)
    {
        using var link = stoppingToken.Register(() => _stopping.Cancel());
        await PrepareAsync(stoppingToken);
        var health = Task.Run(() => HealthLoopAsync(stoppingToken), CancellationToken.None);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ReconcileAsync(stoppingToken);
                await _wake.WaitAsync(options.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                _log.LogError(ex, "A reconcile pass failed; retrying in {Interval}", options.PollInterval);
                await ledger.AppendAsync(new DeliveryError("reconcile", Error: ex.GetType().Name, Detail: ex.Message), "capstan");
                try { await Task.Delay(options.PollInterval, clock, stoppingToken); }
                catch (OperationCanceledException) { break; }
            }
        }
        await health.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // No healing while stopping: from here on nothing starts an apply or reports drift, so the apps the target
        // stops next (or that die of the same Ctrl+C) are never restarted, superseded or reported as drift.
        _halting = true;
        // Then the target: an apply interrupted by shutdown leaves its new process for the next start to claim.
        foreach (var target in targets.All) await target.ShutdownAsync();
        await _stopping.CancelAsync();
        await base.StopAsync(cancellationToken);
        var running = _slots.Values.Select(s => s.Book.Applying).OfType<Task>().ToArray();
        await Task.WhenAll(running.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
    }

    /// <summary>One pass over every app and environment. Safe to call at any time; passes never overlap.</summary>
    public async Task<PassReport> ReconcileAsync(CancellationToken ct)
    {
        await PrepareAsync(ct);
        await _passGate.WaitAsync(ct);
        try
        {
            var started = clock.GetTimestamp();
            var snapshot = await FetchAsync(ct);
            if (snapshot.Commit != _renderedCommit) Render(snapshot);
            var starts = 0;
            var slots = new HashSet<Slot>(_desired.Keys);
            slots.UnionWith(targets.Slots);
            slots.UnionWith(_slots.Keys);
            foreach (var slot in slots)
                if (await StepAsync(slot, ct)) starts++;
            return new PassReport(snapshot.Commit, slots.Count, starts, clock.GetElapsedTime(started));
        }
        finally
        {
            _passGate.Release();
        }
    }

    // fetch: the configuration in force (the reloader validates HEAD; a refused commit leaves the last good one).
    private async Task<ConfigSnapshot> FetchAsync(CancellationToken ct)
    {
        try { return await reloader.RefreshAsync(ct); }
        catch (Exception ex) when (ex is LibGit2Sharp.LibGit2SharpException or IOException)
        {
            // The config repo cannot be read right now: keep working towards the last configuration we have.
            return config.Current;
        }
    }

    // render: the release every slot should run, and which commit (and person) caused each change.
    private void Render(ConfigSnapshot snapshot)
    {
        var cfg = snapshot.Find<DeliveryConfig>() ?? DeliveryConfig.Empty;
        var desired = new Dictionary<Slot, Release>(cfg.Desired.Count);
        foreach (var (slot, d) in cfg.Desired)
            if (cfg.Apps.TryGetValue(slot.App, out var app) && app.Versions.TryGetValue(d.Version, out var v))
                desired[slot] = new Release(slot, app, v, snapshot.Commit);
        Dictionary<Slot, ChangeCause> causes;
        try { causes = CommitAttribution.Since(repo, _renderedCommit, snapshot.Commit, cfg); }
        catch (Exception ex) when (ex is LibGit2Sharp.LibGit2SharpException or ArgumentException) { causes = []; }
        foreach (var (slot, cause) in causes) Summarize(State(slot), new CauseFound(slot, cause));
        Config = cfg;
        _desired = desired;
        _renderedCommit = snapshot.Commit;
    }

    // observe → diff → apply for one slot. Returns true when an apply or removal started. A step that throws is a
    // recorded failure, tried again after a back-off; the other slots go on.
    private async Task<bool> StepAsync(Slot slot, CancellationToken ct)
    {
        if (_halting) return false;
        var s = State(slot);
        _desired.TryGetValue(slot, out var desired);
        Summarize(s, new Wanted(slot, desired));
        if (s.Book.StepRetryAt is { } wait && clock.GetUtcNow() < wait) return false;
        var step = ObserveStep;
        try
        {
            var target = targets.For(Config, slot);
            var live = await target.LiveAsync(slot, ct);
            step = DiffStep;
            lock (s)
            {
                // Diff and the apply it asks for are one decision: no other result folds in between.
                var diff = Diff(s.Book, slot, desired, live, target);
                if (diff.Action == SlotAction.Forget)
                {
                    _slots.TryRemove(slot, out _);
                    SlotChanged?.Invoke(slot);
                    return false;
                }
                Summarize(s, diff);
                // The drift entry is appended (synchronously, before the report's first wait) ahead of the restart's entries.
                if (diff.Drift is not null) _ = ReportInBackground(diff);
                if (diff.Action == SlotAction.Apply) StartApply(s, diff.Release!, diff.Reason!);
                else if (diff.Action == SlotAction.Remove) StartRemoval(s);
                return diff.Action is SlotAction.Apply or SlotAction.Remove;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            var attempt = s.Book.StepErrors + 1;
            var failed = new StepFailed(slot, step, ex, attempt, ApplyBackoff.After(attempt));
            Summarize(s, failed);
            await ReportAsync(failed);
            return false;
        }
    }

    /// <summary>Drift is reported beside the pass, so a slow chat platform never delays the restart.</summary>
    private Task ReportInBackground(StepResult result) =>
        ReportAsync(result).ContinueWith(t => _log.LogError(t.Exception, "{Result} for {App} in {Environment} could not be reported", result.GetType().Name, result.Slot.App, result.Slot.Environment),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);

    // diff: what a slot needs, from what it should run, what runs, and its book. Decides only; the pass starts the apply.
    private DiffResult Diff(SlotBook s, Slot slot, Release? desired, LiveState? live, ITarget target)
    {
        if (desired is null)
        {
            if (live is null && s.Applying is null && !target.Slots.Contains(slot)) return new(slot, SlotAction.Forget, live);
            return new(slot, s.Applying is null ? SlotAction.Remove : SlotAction.None, live);
        }
        if (s.Applying is not null)
            return s.ApplyingKey != desired.Key ? new(slot, SlotAction.Apply, live, desired, "change") : new(slot, SlotAction.None, live);
        var retrying = s.ApplyRetryAt is { } retry && clock.GetUtcNow() < retry;
        if (live is not null && live.Key == desired.Key)
        {
            if (live.Running) return new(slot, SlotAction.InSync, live, ClearFailure: true);
            // Capstan stopped it when it last stopped: start it again as it was, recorded as an adoption.
            if (live.Parked) return new(slot, SlotAction.Apply, live, desired, "resume", ClearFailure: true);
            if (retrying && !s.Force) return new(slot, SlotAction.Backoff, live, ClearFailure: true, Missing: true);
            var heal = s.Force || (Config.Policy(slot.Environment).SelfHeal && !s.Held);
            var drift = s.DriftReported ? null : new DriftFound(live, heal, s.Held);
            return heal
                ? new(slot, SlotAction.Apply, live, desired, s.Force ? "sync" : "self-heal", ClearFailure: true, Drift: drift)
                : new(slot, SlotAction.Down, live, ClearFailure: true, Drift: drift);
        }
        if ((s.FailedKey == desired.Key || retrying) && !s.Force)
            return new(slot, SlotAction.Backoff, live, Missing: live is null || !live.Running);
        // Nothing runs, no commit since this start touched the slot, and the last healthy deploy was this version:
        // what ran before Capstan stopped (a data folder from before parking, or a lost record). Resume it.
        var resume = !s.Force && live is null && s.Cause is null && s.LastDeploy is { } last && last.Version == desired.Version.Version;
        return new(slot, SlotAction.Apply, live, desired, resume ? "resume" : s.Force ? "sync" : "change");
    }

    private SlotState State(Slot slot) => _slots.GetOrAdd(slot, k => new SlotState(k));

    private static SlotView View(SlotState state)
    {
        var s = state.Book;
        return new SlotView(state.Slot, s.Desired?.Version.Version, s.Live, s.Status.Sync, s.Status.Health, s.Status.Detail, s.Cause, s.LastDeploy, s.Held, s.HeldReason, s.Applying is not null);
    }

    private string RoomOf(string environment) => Config.Policy(environment).Room ?? config.Current.Policy.DefaultRoom;

    /// <summary>The ledger actor for a change: the person whose email matches the commit's author, else the author's email.</summary>
    private string ActorOf(ChangeCause? cause)
    {
        if (cause is null) return "capstan";
        if (!cause.ByPerson) return "capstan";
        var person = config.Current.Policy.People.Values.FirstOrDefault(p => string.Equals(p.Email, cause.AuthorEmail, StringComparison.OrdinalIgnoreCase));
        return person?.Id ?? cause.AuthorEmail;
    }

    private static Reply Say(string text, ReplyTone tone) => new(text, tone);
}
