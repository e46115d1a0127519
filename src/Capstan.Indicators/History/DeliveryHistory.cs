using System.Text.Json;
using Capstan.Core.Ledger;
using Capstan.Core.Ledger.Events;

namespace Capstan.Indicators.History;

/// <summary>
/// The read model DORA figures are computed from, built from the ledger: deployments per app and environment,
/// rollbacks, health changes and incidents. It catches up from the ledger store on every read (by sequence
/// number, so only new entries are read), which also picks up entries other processes appended.
/// </summary>
public sealed class DeliveryHistory(Ledger ledger)
{
    private const int Page = 5000;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _seq;
    private readonly Dictionary<(string App, string Env), List<Deployment>> _deploys = [];
    private readonly Dictionary<(string App, string Env), List<HealthChange>> _health = [];
    private readonly Dictionary<(string App, string Env), List<Rollback>> _rollbacks = [];
    private readonly Dictionary<string, ChangeCommit> _commits = new(StringComparer.Ordinal);
    private readonly HashSet<string> _reverts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Incident> _incidents = new(StringComparer.OrdinalIgnoreCase);
    private HistoryView _view = HistoryView.Empty;
    // Slots whose entries changed since the last snapshot: only their deploys' conclusions are worked out again.
    private readonly HashSet<(string App, string Env)> _touched = [];
    private bool _allTouched;

    /// <summary>The history as of now (reads whatever was appended since the last call).</summary>
    public async Task<HistoryView> ReadAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            if (await CatchUpAsync(ct)) _view = Freeze();
            return _view;
        }
        finally
        {
            _gate.Release();
        }
    }

    // One query by sequence number (the primary key) from where the last read stopped: the cost follows what is new,
    // not the size of the ledger. Kinds are filtered here, not in SQL, because a kind prefix cannot use the index.
    private async Task<bool> CatchUpAsync(CancellationToken ct)
    {
        var any = false;
        while (true)
        {
            var page = await ledger.QueryAsync(new LedgerQuery(After: _seq, Limit: Page), ct);
            foreach (var e in page)
            {
                _seq = e.Seq;
                var delivery = e.Kind.StartsWith("delivery.", StringComparison.Ordinal);
                if (!delivery && !e.Kind.StartsWith("incident.", StringComparison.Ordinal)) continue;
                try
                {
                    if (delivery) Delivery(e); else IncidentEntry(e);
                    any = true;
                }
                catch (JsonException) { /* an entry another version wrote differently is skipped, not fatal */ }
                catch (InvalidOperationException) { }
            }
            if (page.Count < Page) return any;
        }
    }

    private void Delivery(LedgerEntry e)
    {
        switch (e.Kind)
        {
            case DeploymentSucceeded.Kind:
                var ok = e.As<DeploymentSucceeded>();
                Deployed(e, ok.App, ok.Environment, ok.Version, ok.Commit, ok.Reason, healthy: true);
                break;
            case DeploymentFailed.Kind:
                var failed = e.As<DeploymentFailed>();
                Deployed(e, failed.App, failed.Environment, failed.Version, failed.Commit, failed.Reason, healthy: false);
                break;
            case RolledBack.Kind:
                var r = e.As<RolledBack>();
                if (Touch(e, r.App, r.Environment) is not { } rk) return;
                if (r.Revert is not null) _reverts.Add(r.Revert);
                Add(_rollbacks, rk, new Rollback(e.Seq, r.App, r.Environment, r.Version ?? "?", e.At, r.Reverted, r.Revert), x => x.At);
                break;
            case HealthChanged.Kind:
                var h = e.As<HealthChanged>();
                if (Touch(e, h.App, h.Environment) is not { } hk) return;
                Add(_health, hk, new HealthChange(e.Seq, h.App, h.Environment, e.At, h.Health ?? "", h.Was ?? ""), x => x.At);
                break;
            case ChangeCommitted.Kind:
                var c = e.As<ChangeCommitted>();
                if (Touch(e, c.App, c.Environment) is null) return;
                if (c.Commit is { } sha)
                    _commits[sha] = new ChangeCommit(e.Seq, c.Action ?? "deploy", c.App, c.Environment, c.Version ?? "?", sha, e.At);
                break;
        }
    }

    private void Deployed(LedgerEntry e, string? app, string? env, string? version, string? commit, string? reason, bool healthy)
    {
        if (Touch(e, app, env) is not { } key) return;
        reason ??= "change";
        if (reason == "self-heal") return; // a restart of what already ran is not a deployment
        Add(_deploys, key, new Deployment(e.Seq, key.App, key.Env, version ?? "?", commit, e.At, healthy, reason), x => x.At);
    }

    /// <summary>The slot an entry is about (marked as changed), or null when it names none.</summary>
    private (string App, string Env)? Touch(LedgerEntry e, string? app, string? env)
    {
        if (app is null || env is null) return null;
        var key = (app, env);
        _touched.Add(key);
        if (_deploys.TryGetValue(key, out var seen) && seen.Count > 0 && e.At < seen[^1].At) _allTouched = true; // written out of order: links may move
        return key;
    }

    private void IncidentEntry(LedgerEntry e)
    {
        var id = e.Kind switch
        {
            IncidentOpened.Kind => e.As<IncidentOpened>().Incident,
            IncidentSeverityChanged.Kind => e.As<IncidentSeverityChanged>().Incident,
            IncidentAcknowledged.Kind => e.As<IncidentAcknowledged>().Incident,
            IncidentResolved.Kind => e.As<IncidentResolved>().Incident,
            IncidentReopened.Kind => e.As<IncidentReopened>().Incident,
            _ => Str(e, "incident"), // other incident entries still create the incident when it is first seen
        };
        if (id is null) return;
        if (!_incidents.TryGetValue(id, out var i))
        {
            i = new Incident(id) { Opened = e.At };
            _incidents[id] = i;
        }
        switch (e.Kind)
        {
            case IncidentOpened.Kind:
                var o = e.As<IncidentOpened>();
                i.Opened = e.At;
                i.Title = o.Title ?? "";
                i.Severity = o.Severity ?? "";
                i.Environment = o.Environment;
                i.Apps = o.Apps?.OfType<string>().ToList() ?? [];
                break;
            case IncidentSeverityChanged.Kind:
                if (e.As<IncidentSeverityChanged>().To is { } to) i.Severity = to;
                break;
            case IncidentAcknowledged.Kind:
                i.Acknowledged ??= e.At;
                break;
            case IncidentResolved.Kind:
                i.Resolved = e.At;
                break;
            case IncidentReopened.Kind:
                i.Resolved = null;
                break;
        }
        if (i.Environment is null) _allTouched = true;
        else foreach (var app in i.Apps) _touched.Add((app, i.Environment));
    }

    // A new snapshot shares the arrays and conclusions of every slot the new entries did not touch, so one new
    // deploy costs about one slot's work, not the whole history's.
    private HistoryView Freeze()
    {
        var old = _view;
        bool Keep((string, string) key) => !_allTouched && !_touched.Contains(key);
        foreach (var (key, list) in _deploys)
            if (!Keep(key))
                foreach (var dep in list)
                    dep.Kind = dep.Commit is null ? DeployKind.Change
                        : _reverts.Contains(dep.Commit) ? DeployKind.AutomaticRollback
                        : _commits.TryGetValue(dep.Commit, out var c) && c.Action == "rollback" ? DeployKind.Rollback
                        : DeployKind.Change;
        Dictionary<(string, string), IReadOnlyList<T>> Share<T>(Dictionary<(string, string), List<T>> now, IReadOnlyDictionary<(string App, string Env), IReadOnlyList<T>> before) =>
            now.ToDictionary(kv => kv.Key, kv => Keep(kv.Key) && before.TryGetValue(kv.Key, out var b) && b.Count == kv.Value.Count ? b : (IReadOnlyList<T>)kv.Value.ToArray());
        var view = new HistoryView(Share(_deploys, old.Deployments), Share(_health, old.Health), Share(_rollbacks, old.Rollbacks),
            _incidents.Values.Select(Copy).OrderBy(i => i.Opened).ToArray());
        // Conclusions about deploys of untouched slots still hold; they refer to incidents of the old snapshot,
        // which are unchanged for those slots (an incident change touches every slot of its apps).
        foreach (var (key, facts) in old.FactsBySlot)
            if (Keep(key)) view.FactsBySlot[key] = facts;
        _touched.Clear();
        _allTouched = false;
        return view;
    }

    private static Incident Copy(Incident i) => new(i.Id)
    {
        Title = i.Title,
        Severity = i.Severity,
        Apps = i.Apps,
        Environment = i.Environment,
        Opened = i.Opened,
        Resolved = i.Resolved,
        Acknowledged = i.Acknowledged,
    };

    // Entries usually arrive in time order; a binary insert keeps each list sorted when they do not.
    private static void Add<T>(Dictionary<(string, string), List<T>> map, (string, string) key, T item, Func<T, DateTimeOffset> at)
    {
        if (!map.TryGetValue(key, out var list)) map[key] = list = [];
        if (list.Count == 0 || at(list[^1]) <= at(item)) { list.Add(item); return; }
        var lo = 0;
        var hi = list.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (at(list[mid]) <= at(item)) lo = mid + 1; else hi = mid;
        }
        list.Insert(lo, item);
    }

    private static string? Str(LedgerEntry e, string name)
    {
        using var doc = JsonDocument.Parse(e.Data);
        return doc.RootElement.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    }
}

/// <summary>An immutable snapshot of the delivery history, per (app, environment).</summary>
public sealed record HistoryView(
    IReadOnlyDictionary<(string App, string Env), IReadOnlyList<Deployment>> Deployments,
    IReadOnlyDictionary<(string App, string Env), IReadOnlyList<HealthChange>> Health,
    IReadOnlyDictionary<(string App, string Env), IReadOnlyList<Rollback>> Rollbacks,
    IReadOnlyList<Incident> Incidents)
{
    /// <summary>
    /// What the DORA rules concluded about each deployment of this snapshot (keyed by its ledger sequence number, the
    /// link window and the source repo read). A snapshot never changes, so the conclusions hold until new entries
    /// make a new snapshot; weekly trends and repeated questions reuse them.
    /// </summary>
    internal System.Collections.Concurrent.ConcurrentDictionary<(string App, string Env), System.Collections.Concurrent.ConcurrentDictionary<(long Seq, TimeSpan Link, Sources.SourceRepository? Repo), Dora.DeployFacts>> FactsBySlot { get; } = new();

    internal System.Collections.Concurrent.ConcurrentDictionary<(long Seq, TimeSpan Link, Sources.SourceRepository? Repo), Dora.DeployFacts> FactsOf(string app, string env) =>
        FactsBySlot.GetOrAdd((app, env), _ => new());

    public static readonly HistoryView Empty = new(
        new Dictionary<(string, string), IReadOnlyList<Deployment>>(), new Dictionary<(string, string), IReadOnlyList<HealthChange>>(),
        new Dictionary<(string, string), IReadOnlyList<Rollback>>(), []);

    public IReadOnlyList<Deployment> DeploymentsOf(string app, string env) => Deployments.GetValueOrDefault((app, env)) ?? [];
    public IReadOnlyList<HealthChange> HealthOf(string app, string env) => Health.GetValueOrDefault((app, env)) ?? [];
    public IReadOnlyList<Rollback> RollbacksOf(string app, string env) => Rollbacks.GetValueOrDefault((app, env)) ?? [];

    public IEnumerable<string> Apps => Deployments.Keys.Select(k => k.App).Distinct(StringComparer.Ordinal);
}
