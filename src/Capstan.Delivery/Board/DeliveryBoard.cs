using Capstan.Core;
using System.Text.Json.Serialization;
using Capstan.Core.Config;
using Capstan.Delivery.Apps;
using Capstan.Delivery.Reconciliation;
using Capstan.Delivery.Targets;

namespace Capstan.Delivery.Board;

/// <summary>Who deployed what, and when.</summary>
public sealed record LastDeploy(string Version, string By, DateTimeOffset At, string Commit);

/// <summary>An environment's freeze, as shown on the board.</summary>
public sealed record LockInfo(string By, string Reason, DateTimeOffset At);

/// <summary>One cell of the apps × environments board (the JSON the API returns per environment).</summary>
public sealed record EnvironmentStatus(
    string Name,
    string? DesiredVersion,
    string? LiveVersion,
    [property: JsonConverter(typeof(JsonStringEnumConverter<SyncState>))] SyncState Sync,
    [property: JsonConverter(typeof(JsonStringEnumConverter<HealthState>))] HealthState Health,
    string? Url,
    LastDeploy? LastDeploy,
    string Detail,
    bool Protected,
    LockInfo? Lock,
    bool Held,
    string? HeldReason);

/// <summary>One row of the board: an app and its state in every environment.</summary>
public sealed record AppStatus(string Name, string Description, IReadOnlyList<string> Versions, IReadOnlyList<EnvironmentStatus> Environments);

/// <summary>What would change if the reconciler applied an app's desired state in an environment now.</summary>
public sealed record PendingDiff(string App, string Environment, string? DesiredVersion, string? LiveVersion, bool InSync, IReadOnlyList<string> Lines, ChangeCause? Cause);

/// <summary>A change on the board: which app and environment (the dashboard re-reads that cell).</summary>
public sealed record BoardChange(string App, string Environment);

/// <summary>
/// The read model the web UI and API show: apps × environments with desired and live version, sync, health,
/// URL and last deploy; per-app history; the pending diff; and <see cref="Changed"/> for live updates.
/// </summary>
public sealed class DeliveryBoard
{
    private readonly Reconciler _reconciler;
    private readonly IDeliveryStore _store;
    private readonly ConfigState _config;

    public DeliveryBoard(Reconciler reconciler, IDeliveryStore store, ConfigState config)
    {
        _reconciler = reconciler;
        _store = store;
        _config = config;
        reconciler.SlotChanged += slot => Changed?.Invoke(new BoardChange(slot.App, slot.Environment));
    }

    /// <summary>Raised on any change of any cell (from the reconciler's threads; handlers must be quick).</summary>
    public event Action<BoardChange>? Changed;

    public IReadOnlyList<AppStatus> Apps()
    {
        var cfg = Config;
        return cfg.Apps.Keys.Order(StringComparer.Ordinal).Select(a => Build(cfg, a)).ToList();
    }

    public AppStatus? App(string name)
    {
        var cfg = Config;
        return cfg.Apps.ContainsKey(name) ? Build(cfg, name) : null;
    }

    public EnvironmentStatus? Cell(string app, string environment) =>
        App(app)?.Environments.FirstOrDefault(e => e.Name == environment);

    /// <summary>Deployments newest first (all environments when <paramref name="environment"/> is null).</summary>
    public Task<IReadOnlyList<DeploymentRecord>> HistoryAsync(string app, string? environment, int limit, CancellationToken ct) =>
        _store.DeploymentsAsync(app, environment, Math.Clamp(limit, 1, 500), ct);

    public PendingDiff Diff(string app, string environment)
    {
        var cfg = Config;
        var slot = new Slot(app, environment);
        var view = _reconciler.View(slot);
        var desired = cfg.DesiredVersionOf(slot);
        var live = view?.Live ?? null;
        var lines = new List<string>();
        if (desired is null && live is null) lines.Add($"{app} is not deployed to {environment}, and nothing runs there.");
        else if (desired is null) lines.Add($"- {app} {live!.Version} runs in {environment} but is no longer desired there: it will be stopped.");
        else if (live is null) lines.Add($"+ {app} {desired} will be started in {environment} (nothing runs yet).");
        else
        {
            lines.Add(live.Version == desired ? $"  version {desired} (unchanged)" : $"~ version {live.Version} → {desired}");
            if (cfg.Apps.TryGetValue(app, out var spec) && spec.Versions.TryGetValue(desired, out var v))
            {
                var release = new Release(slot, spec, v, "");
                if (live.Version == desired && live.SpecHash != release.SpecHash)
                    lines.Add($"~ how it runs changed in {spec.File} (fingerprint {live.SpecHash} → {release.SpecHash}): it will be restarted");
            }
            if (!live.Running) lines.Add($"! the process is not running ({live.Ended ?? "stopped"})");
        }
        var inSync = desired is not null && live is { Running: true } && view is { Sync: SyncState.Synced };
        return new PendingDiff(app, environment, desired, live?.Version, inSync, lines, view?.Cause);
    }

    private DeliveryConfig Config => _config.Current.Find<DeliveryConfig>() ?? DeliveryConfig.Empty;

    private AppStatus Build(DeliveryConfig cfg, string app)
    {
        var spec = cfg.Apps[app];
        var envs = new List<EnvironmentStatus>();
        foreach (var env in _config.Current.Policy.Environments.Values)
        {
            var slot = new Slot(app, env.Name);
            var view = _reconciler.View(slot);
            var desired = cfg.DesiredVersionOf(slot);
            var live = view?.Live;
            var last = view?.LastDeploy is { } d ? new LastDeploy(d.Version, d.By, d.At, d.Commit) : null;
            var lockInfo = cfg.Locks.TryGetValue(env.Name, out var l) ? new LockInfo(l.By, l.Reason, l.At) : null;
            var sync = view?.Sync ?? (desired is null ? SyncState.Synced : SyncState.OutOfSync);
            var health = view?.Health ?? (desired is null ? HealthState.Missing : HealthState.Unknown);
            if (desired is not null && view is not null && view.DesiredVersion != desired) sync = SyncState.OutOfSync; // committed, not yet rendered
            if (view is { Applying: true }) { sync = SyncState.Progressing; health = HealthState.Progressing; }
            envs.Add(new EnvironmentStatus(env.Name, desired, live is { Running: true } ? live.Version : null, sync, health,
                live is { Running: true } ? live.Url : null, last, view?.Detail ?? "", env.Protected, lockInfo, view?.Held ?? false, view?.HeldReason));
        }
        return new AppStatus(app, spec.Description, spec.VersionOrder, envs);
    }
}
