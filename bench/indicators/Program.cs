using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Capstan.Core;
using Capstan.Core.Config;
using Capstan.Core.Ledger;
using Capstan.Indicators;
using Capstan.Indicators.Dora;
using Capstan.Indicators.History;
using Capstan.Indicators.Sources;
using Dapper;
using Microsoft.Data.Sqlite;

// DORA figures over one year for 100 apps in prod, at several history sizes: Capstan's read model and calculator
// against the SQL a Four Keys-style pipeline runs over the same events (derived tables with indexes, then one
// metrics query) in the same SQLite file. Usage: dotnet run -c Release --project bench/indicators [-- 1000 10000 50000]
var sizes = args.Length > 0 ? args.Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray() : [1_000, 10_000, 50_000];
const int Apps = 100, Runs = 15;
var now = DateTimeOffset.Parse("2026-12-01T00:00:00Z", CultureInfo.InvariantCulture);
var from = now.AddDays(-365);
Console.WriteLine($"DORA over one year, {Apps} apps in prod; median of {Runs} runs after one warm-up (ms)");
Console.WriteLine("| deploys | ledger entries | Capstan first answer (load ledger + compute) | Capstan, every deploy recomputed (all apps) | Capstan after one new deploy (all apps) | Capstan repeated (all apps) | Capstan one app | Capstan weekly trend, all apps | Four Keys-style SQL | SQL ÷ Capstan recomputed |");
Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
foreach (var deploys in sizes)
{
    var root = Path.Combine(Path.GetTempPath(), "capstan-bench-ind-" + Guid.NewGuid().ToString("N")[..8]);
    try
    {
        await using var node = await CapstanNode.OpenAsync(DataFolder.At(root), [IndicatorsModule.Section], TimeProvider.System, CancellationToken.None);
        var entries = Generate(deploys, Apps, from, now);
        for (var i = 0; i < entries.Count; i += 5000)
            await node.Ledger.Store.AppendAsync(entries.Skip(i).Take(5000).ToList(), CancellationToken.None);

        var history = new DeliveryHistory(node.Ledger);
        var query = new DoraQuery(history, new SourceHistory(node.Data, new IndicatorsOptions(), TimeProvider.System));
        var config = node.Config.Current;
        var period = new Period(from, now, "in the last 365 days");
        var all = new DoraRequest(null, "prod", period);
        var sw = Stopwatch.StartNew();
        var (scopeAll, _) = await query.ResolveAsync(all, config, CancellationToken.None);
        var first = await query.ReportAsync(scopeAll!, config, CancellationToken.None);
        var cold = sw.Elapsed.TotalMilliseconds;

        // After new events: the snapshot's per-deploy conclusions are dropped, so every deploy is worked out again.
        var view = await history.ReadAsync(CancellationToken.None);
        var calculator = new DoraCalculator(2024, TimeSpan.FromHours(24));
        var freshMs = await Median(() =>
        {
            view.FactsBySlot.Clear();
            calculator.Compute(view, scopeAll!, new Dictionary<string, SourceReading?>());
            return Task.CompletedTask;
        });
        // After one new deploy (a new ledger entry in one slot): only that slot's deploys are worked out again.
        var added = 0;
        var newDeployMs = await Median(async () =>
        {
            await node.Ledger.Store.AppendAsync([new UnsealedEntry(now.AddMinutes(-60 + added++), "delivery.healthy", "bob", "ops", null,
                JsonSerializer.Serialize(new { app = "app-007", environment = "prod", version = $"9.0.{added}", commit = $"n{added}", reason = "change" }, Ledger.Json))], CancellationToken.None);
            var (s, _) = await query.ResolveAsync(all, config, CancellationToken.None);
            await query.ReportAsync(s!, config, CancellationToken.None);
        });
        var allMs = await Median(async () => { var (s, _) = await query.ResolveAsync(all, config, CancellationToken.None); await query.ReportAsync(s!, config, CancellationToken.None); });
        var one = new DoraRequest("app-042", "prod", period);
        var oneMs = await Median(async () => { var (s, _) = await query.ResolveAsync(one, config, CancellationToken.None); await query.ReportAsync(s!, config, CancellationToken.None); });
        var weeklyMs = await Median(async () => await query.WeeklyAsync(scopeAll!, config, CancellationToken.None));

        var last = await query.ReportAsync(scopeAll!, config, CancellationToken.None); // the history now includes the deploys added above
        await using var c = new SqliteConnection($"Data Source={node.Data.Database};Pooling=False");
        await c.OpenAsync();
        await c.ExecuteAsync(FourKeys.Derive); // like Four Keys' derived tables: built by its pipeline, not per query
        (long Deploys, long Failed, double? RecoveryMedianHours, long Rework) peer = default;
        var sqlMs = await Median(async () => peer = await c.QuerySingleAsync<(long, long, double?, long)>(FourKeys.Metrics, new { from = Iso(from), to = Iso(now) }));
        if (peer.Deploys != last.Deploys.Count || peer.Failed != last.Deploys.Count(d => d.Failed))
            Console.Error.WriteLine($"note: the SQL counted {peer.Deploys} deploys / {peer.Failed} failed, Capstan {last.Deploys.Count} / {last.Deploys.Count(d => d.Failed)}");
        Console.WriteLine($"| {deploys:N0} | {entries.Count:N0} | {cold:0} | {freshMs:0.0} | {newDeployMs:0.0} | {allMs:0.0} | {oneMs:0.00} | {weeklyMs:0.0} | {sqlMs:0.0} | {sqlMs / freshMs:0.0}× |");
    }
    finally
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(root, true); } catch (IOException) { }
    }
}

static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

// The median of Runs runs after a warm-up.
static async Task<double> Median(Func<Task> work)
{
    await work();
    var times = new List<double>();
    for (var i = 0; i < Runs; i++)
    {
        var sw = Stopwatch.StartNew();
        await work();
        times.Add(sw.Elapsed.TotalMilliseconds);
    }
    times.Sort();
    return times[times.Count / 2];
}

// A year of deploys spread over the apps: 10% fail (and are rolled back automatically), 5% turn Degraded, one incident
// per 40 deploys, every 25th deploy a rollback from chat; deterministic (fixed seed), so every run sees the same history.
static List<UnsealedEntry> Generate(int deploys, int apps, DateTimeOffset from, DateTimeOffset to)
{
    var rng = new Random(42);
    var list = new List<UnsealedEntry>(deploys * 2);
    var span = (to - from).TotalSeconds;
    var times = Enumerable.Range(0, deploys).Select(_ => from.AddSeconds(rng.NextDouble() * span)).OrderBy(t => t).ToList();
    var versions = new int[apps];
    var incidents = 0;
    string J(object o) => JsonSerializer.Serialize(o, Ledger.Json);
    for (var i = 0; i < deploys; i++)
    {
        var app = $"app-{rng.Next(apps):000}";
        var n = ++versions[int.Parse(app[4..], CultureInfo.InvariantCulture)];
        var at = times[i];
        var version = $"1.{n / 100}.{n % 100}";
        var commit = $"c{i:x8}";
        var roll = rng.Next(100);
        if (i % 25 == 0) list.Add(new(at.AddSeconds(-30), "delivery.commit", "bob", "ops", null, J(new { action = "rollback", app, environment = "prod", version, commit })));
        if (roll < 10)
        {
            list.Add(new(at, "delivery.failed", "bob", "ops", null, J(new { app, environment = "prod", version, commit, reason = "change", detail = "health check failed" })));
            list.Add(new(at.AddSeconds(20), "delivery.rollback", "capstan", "ops", null, J(new { app, environment = "prod", version, reverted = commit, revert = "r" + commit, automatic = true })));
            list.Add(new(at.AddSeconds(60), "delivery.healthy", "capstan", "ops", null, J(new { app, environment = "prod", version = "1.0.0", commit = "r" + commit, reason = "change" })));
            continue;
        }
        list.Add(new(at, "delivery.healthy", "bob", "ops", null, J(new { app, environment = "prod", version, commit, reason = "change" })));
        if (roll < 15)
        {
            list.Add(new(at.AddMinutes(5), "delivery.health", "capstan", "ops", null, J(new { app, environment = "prod", health = "Degraded", was = "Healthy" })));
            list.Add(new(at.AddMinutes(35), "delivery.health", "capstan", "ops", null, J(new { app, environment = "prod", health = "Healthy", was = "Degraded" })));
        }
        if (i % 40 == 0)
        {
            var id = $"INC-{++incidents}";
            list.Add(new(at.AddMinutes(10), "incident.opened", "alice", "ops", null, J(new { incident = id, title = "errors", severity = "sev2", apps = new[] { app }, environment = "prod", commander = "alice" })));
            list.Add(new(at.AddHours(2), "incident.resolved", "alice", "ops", null, J(new { incident = id, summary = "fixed" })));
        }
    }
    return list.OrderBy(e => e.At).ToList();
}

/// <summary>The peer: Four Keys' approach (derived tables from raw events, then SQL for the metrics) over the same ledger.</summary>
internal static class FourKeys
{
    public const string Derive = """
        DROP TABLE IF EXISTS deployments; DROP TABLE IF EXISTS signals; DROP TABLE IF EXISTS incidents;
        CREATE TABLE deployments AS
          SELECT seq, json_extract(data, '$.app') AS app, at, kind = 'delivery.failed' AS failed, json_extract(data, '$.commit') AS commit_sha
          FROM ledger WHERE kind IN ('delivery.healthy', 'delivery.failed') AND json_extract(data, '$.environment') = 'prod'
            AND coalesce(json_extract(data, '$.reason'), '') <> 'self-heal';
        CREATE INDEX deployments_app_at ON deployments(app, at);
        CREATE TABLE signals AS
          SELECT json_extract(data, '$.app') AS app, at FROM ledger
          WHERE (kind = 'delivery.rollback' OR (kind = 'delivery.health' AND json_extract(data, '$.health') = 'Degraded')) AND json_extract(data, '$.environment') = 'prod';
        CREATE INDEX signals_app_at ON signals(app, at);
        CREATE TABLE incidents AS
          SELECT o.at AS opened, r.at AS resolved, json_extract(o.data, '$.apps[0]') AS app FROM ledger o
          LEFT JOIN ledger r ON r.kind = 'incident.resolved' AND json_extract(r.data, '$.incident') = json_extract(o.data, '$.incident')
          WHERE o.kind = 'incident.opened' AND json_extract(o.data, '$.environment') = 'prod';
        CREATE INDEX incidents_app_opened ON incidents(app, opened);
        CREATE TABLE rollback_commits AS SELECT json_extract(data, '$.commit') AS sha FROM ledger WHERE kind = 'delivery.commit' AND json_extract(data, '$.action') = 'rollback'
          UNION SELECT json_extract(data, '$.revert') FROM ledger WHERE kind = 'delivery.rollback';
        CREATE INDEX rollback_commits_sha ON rollback_commits(sha);
        """;

    // Failed = apply failed, or a rollback / Degraded signal before the next deploy, or an incident opened within 24h
    // after it and before the next deploy; recovery = next successful deploy (or incident resolution); rework = rollback commits.
    public const string Metrics = """
        WITH d AS (
          SELECT app, at, failed, commit_sha, LEAD(at) OVER (PARTITION BY app ORDER BY at) AS next_at,
            LEAD(commit_sha) OVER (PARTITION BY app ORDER BY at) AS next_commit FROM deployments
        ), p AS (
          SELECT d.*,
            (failed OR next_commit IN (SELECT sha FROM rollback_commits)
                    OR EXISTS (SELECT 1 FROM signals s WHERE s.app = d.app AND s.at >= d.at AND (d.next_at IS NULL OR s.at < d.next_at))
                    OR EXISTS (SELECT 1 FROM incidents i WHERE i.app = d.app AND i.opened >= d.at AND (d.next_at IS NULL OR i.opened < d.next_at)
                               AND julianday(i.opened) - julianday(d.at) <= 1)) AS bad,
            (SELECT min(n.at) FROM deployments n WHERE n.app = d.app AND n.at > d.at AND NOT n.failed) AS recovered,
            commit_sha IN (SELECT sha FROM rollback_commits) AS rework
          FROM d WHERE at >= @from AND at < @to
        ), r AS (
          SELECT (julianday(recovered) - julianday(at)) * 24 AS hours FROM p WHERE bad AND recovered IS NOT NULL
        )
        SELECT count(*) AS deploys, coalesce(sum(bad), 0) AS failed,
          (SELECT hours FROM r ORDER BY hours LIMIT 1 OFFSET (SELECT count(*) / 2 FROM r)) AS median_recovery_hours,
          coalesce(sum(rework), 0) AS rework
        FROM p;
        """;
}
