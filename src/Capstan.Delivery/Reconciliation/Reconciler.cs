using System.Collections.Concurrent;
using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Conversation;
using Capstan.Core.Leadership;
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
    Slot Slot, string? DesiredVersion, LiveInstance? Live, SyncState Sync, HealthState Health, string Detail,
    ChangeCause? Cause, DeploymentRecord? LastDeploy, bool Held, string? HeldReason, bool Applying);

/// <summary>
/// Makes what runs match the config repo's HEAD. Each pass reads as its steps: fetch (the configuration in
/// force) → render (the release every app/environment should run) → diff (against the target's live state)
/// → apply (start new → healthy → stop old, one apply per slot at a time, a newer change cancelling an older
/// one's health wait) → assess health → report (ledger, the requesting thread, the environment's room, the board).
/// Config changes and drift wake it at once; polling is the fallback.
/// </summary>
public sealed partial class Reconciler(
    ConfigState config,
    ConfigReloader reloader,
    ConfigRepo repo,
    ITarget target,
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
        var s = State(slot);
        lock (s)
        {
            s.Held = false;
            s.HeldReason = null;
            s.FailedKey = null;
            s.Force = force;
            s.LastProbe = 0;
        }
        Nudge();
    }

    public IReadOnlyList<SlotView> Views() => _slots.Values.Select(View).OrderBy(v => v.Slot.App, StringComparer.Ordinal).ThenBy(v => v.Slot.Environment, StringComparer.Ordinal).ToList();

    public SlotView? View(Slot slot) => _slots.TryGetValue(slot, out var s) ? View(s) : null;

    /// <summary>Probes, now and in parallel, every environment that should run the app (for <c>check PRODUCT</c>); null for an unknown app.</summary>
    public async Task<IReadOnlyList<AppReading>?> ProbeAppAsync(string app, TimeSpan budget, CancellationToken ct)
    {
        var wanted = _slots.Values.Where(s => s.Slot.App == app).Select(s => { lock (s) return s.Desired; }).OfType<Release>()
            .OrderBy(r => r.Slot.Environment, StringComparer.Ordinal).ToList();
        if (wanted.Count == 0 && !DeclaredApps.Contains(app)) return null;
        return await Task.WhenAll(wanted.Select(async r =>
        {
            var started = clock.GetTimestamp();
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(budget);
            try
            {
                var reading = await target.ProbeAsync(r.Slot, r.App.Health, limit.Token);
                return new AppReading(r.Slot.Environment, reading.State == HealthState.Healthy, clock.GetElapsedTime(started),
                    $"{r.Version.Version}: {(reading.Detail.Length > 0 ? reading.Detail : reading.State.ToString().ToLowerInvariant())}");
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return new AppReading(r.Slot.Environment, false, clock.GetElapsedTime(started), $"{r.Version.Version}: no answer within {DurationText.Format(budget)} (the time budget)");
            }
        }));
    }

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
            await target.AdoptAsync(ct);
            foreach (var d in await store.LastHealthyAsync(ct))
                State(new Slot(d.App, d.Environment)).LastDeploy = d;
            await RestoreHoldsAsync(ct);
            // Adoption is a note, not a deployment: what ran before the restart is simply still there.
            foreach (var slot in target.Slots)
                if (target.Live(slot) is { Running: true } live)
                    await AdoptedAsync(slot, live, "still running");
            config.Changed += _ => Nudge();
            target.Drifted += _ => Nudge();
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
            var s = State(slot);
            lock (s)
            {
                s.Held = true;
                s.HeldReason = HoldReason(failed?.Version ?? "a failed version", revert.At, revert.ShortCommit);
            }
        }
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
                await ledger.AppendAsync("delivery.error", "capstan", null, null, new { step = "reconcile", error = ex.GetType().Name, detail = ex.Message });
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
        await target.ShutdownAsync();
        await _stopping.CancelAsync();
        await base.StopAsync(cancellationToken);
        var running = _slots.Values.Select(s => s.Applying).OfType<Task>().ToArray();
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
            slots.UnionWith(target.Slots);
            slots.UnionWith(_slots.Keys);
            foreach (var slot in slots)
                if (Diff(slot, snapshot)) starts++;
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
        foreach (var (slot, cause) in causes)
        {
            var s = State(slot);
            lock (s)
            {
                s.Cause = cause;
                s.FailedKey = null;
                if (cause.ByPerson) { s.Held = false; s.HeldReason = null; }
            }
        }
        Config = cfg;
        _desired = desired;
        _renderedCommit = snapshot.Commit;
    }

    // diff → apply: decides what a slot needs and starts it. Returns true when an apply or removal started.
    private bool Diff(Slot slot, ConfigSnapshot snapshot)
    {
        if (_halting) return false;
        var s = State(slot);
        _desired.TryGetValue(slot, out var desired);
        var live = target.Live(slot);
        var policy = Config.Policy(slot.Environment);
        var before = s.Signature(live);
        var started = false;
        lock (s)
        {
            s.Desired = desired;
            if (desired is null)
            {
                if (live is null && s.Applying is null && !target.Slots.Contains(slot))
                {
                    _slots.TryRemove(slot, out _);
                    SlotChanged?.Invoke(slot);
                    return false;
                }
                if (s.Applying is null) { StartRemoval(s); started = true; }
            }
            else if (s.Applying is not null)
            {
                if (s.ApplyingKey != desired.Key) { StartApply(s, desired, "change"); started = true; }
            }
            else if (live is not null && live.Key == desired.Key)
            {
                s.FailedKey = null;
                if (live.Running)
                {
                    s.Sync = SyncState.Synced;
                    if (s.Health is HealthState.Progressing or HealthState.Missing) s.Health = HealthState.Unknown;
                    s.Force = false;
                }
                else if (live.Parked)
                {
                    // Capstan stopped it when it last stopped: start it again as it was, recorded as an adoption.
                    StartApply(s, desired, "resume");
                    started = true;
                }
                else if (s.RetryAt is { } retry && clock.GetUtcNow() < retry && !s.Force)
                {
                    s.Sync = SyncState.Failed;
                    s.Health = HealthState.Missing;
                }
                else
                {
                    s.Sync = SyncState.OutOfSync;
                    s.Health = HealthState.Missing;
                    s.Detail = $"{live.Version} {live.Ended ?? "is not running"}";
                    var heal = s.Force || (policy.SelfHeal && !s.Held);
                    if (!s.DriftReported) { s.DriftReported = true; ReportDriftAsync(slot, live, policy, heal, s.Held).ContinueWith(t => _log.LogError(t.Exception, "Drift of {App} in {Environment} could not be reported", slot.App, slot.Environment), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default); }
                    if (heal) { StartApply(s, desired, s.Force ? "sync" : "self-heal"); started = true; }
                }
            }
            else if ((s.FailedKey == desired.Key || (s.RetryAt is { } retry && clock.GetUtcNow() < retry)) && !s.Force)
            {
                s.Sync = SyncState.Failed;
                if (live is null || !live.Running) s.Health = HealthState.Missing;
            }
            else
            {
                // Nothing runs, no commit since this start touched the slot, and the last healthy deploy was this version:
                // what ran before Capstan stopped (a data folder from before parking, or a lost record). Resume it.
                var resume = !s.Force && live is null && s.Cause is null && s.LastDeploy is { } last && last.Version == desired.Version.Version;
                StartApply(s, desired, resume ? "resume" : s.Force ? "sync" : "change");
                started = true;
            }
        }
        if (s.Signature(target.Live(slot)) != before) SlotChanged?.Invoke(slot);
        return started;
    }

    private SlotState State(Slot slot) => _slots.GetOrAdd(slot, k => new SlotState(k));

    private SlotView View(SlotState s)
    {
        lock (s)
            return new SlotView(s.Slot, s.Desired?.Version.Version, target.Live(s.Slot), s.Sync, s.Health, s.Detail, s.Cause, s.LastDeploy, s.Held, s.HeldReason, s.Applying is not null);
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

    private sealed class SlotState(Slot slot)
    {
        public Slot Slot { get; } = slot;
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
        public SyncState Sync = SyncState.OutOfSync;
        public HealthState Health = HealthState.Unknown;
        public string Detail = "";
        public long LastProbe;
        /// <summary>Applies that threw in a row (storage or I/O), and when the next may start.</summary>
        public int ApplyErrors;
        public DateTimeOffset? RetryAt;
        public DeploymentRecord? LastDeploy;

        public string Signature(LiveInstance? live)
        {
            lock (this) return $"{Desired?.Key}|{live?.Key}|{live?.Running}|{live?.Pid}|{Sync}|{Health}|{Detail}|{Held}|{Applying is null}|{LastDeploy?.Id}";
        }
    }

    private static Reply Say(string text, ReplyTone tone) => new(text, tone);
}
