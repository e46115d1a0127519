// Alertmanager burst: 1,000 webhook deliveries (with duplicates) posted over HTTP to Capstan's
// /hooks/alertmanager, against the same Kestrel server answering a no-op endpoint (the floor: HTTP and JSON
// reading only). Reports throughput, the ratio, and checks that exactly the right incidents exist after.
// Run: dotnet run --project bench/incidents -c Release [-- GROUPS] (default 100 groups × 10 deliveries).
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Capstan.Core;
using Capstan.Core.Access;
using Capstan.Core.Config;
using Capstan.Core.Ledger;
using Capstan.Core.Modules;
using Capstan.Incidents;
using Capstan.Incidents.Alerts;
using Capstan.Incidents.Desk;
using Capstan.Incidents.Figures;
using Capstan.Incidents.Postmortems;
using Capstan.Incidents.Store;
using Capstan.Incidents.Timeline;
using Capstan.Web;
using Capstan.Web.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

const string Token = "bench-token-0123456789abcdef";
var groups = args.Length > 0 ? int.Parse(args[0]) : 100;
const int Workers = 8;
var root = Path.Combine(Path.GetTempPath(), "capstan-bench-incidents-" + Guid.NewGuid().ToString("N")[..8]);
var node = await CapstanNode.OpenAsync(DataFolder.At(root), [IncidentsModule.Section], TimeProvider.System, CancellationToken.None);
var yaml = node.ConfigRepo.ReadFiles(node.ConfigRepo.HeadSha()!)["capstan.yaml"].Replace("  alerts:\n", $"  alerts:\n    token: \"{Token}\"\n");
await node.ConfigRepo.CommitAsync(new ConfigChange("bench: alert token", ConfigRepo.CapstanCommitter, _ => new Dictionary<string, string?> { ["capstan.yaml"] = yaml }), CancellationToken.None);
await node.Reloader.RefreshAsync(CancellationToken.None);
if (node.Config.Rejected is { } r) throw new InvalidOperationException(string.Join("\n", r.Errors));
var module = new IncidentsModule();
node.Registry.Register(module);
var services = node.AddTo(new ServiceCollection()).AddIncidents(new IncidentsOptions { Background = false }).BuildServiceProvider();
foreach (var h in services.GetServices<IHostedService>()) await h.StartAsync(CancellationToken.None);

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.UseUrls("http://127.0.0.1:0");
T S<T>() where T : notnull => services.GetRequiredService<T>();
builder.Services.AddSingleton(S<AccessTokens>()).AddSingleton(S<ConfigState>()).AddSingleton(S<Ledger>())
    .AddSingleton(S<IIncidentStore>()).AddSingleton(S<IncidentDesk>()).AddSingleton(S<IncidentFigures>()).AddSingleton(S<IncidentTimeline>())
    .AddSingleton(S<PostmortemWriter>()).AddSingleton(S<AlertIntake>())
    .AddSingleton(new WebSite([module])).AddCapstanAuthentication();
var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();
module.MapEndpoints(app);
app.MapPost("/hooks/null", async (HttpContext http) =>
{
    using var doc = await JsonDocument.ParseAsync(http.Request.Body);
    return Results.Json(new { message = "ok", alerts = doc.RootElement.GetProperty("alerts").GetArrayLength() });
});
await app.StartAsync();
var url = app.Urls.First();

// Per group: 5 copies of the first notification (alert A firing), 3 copies with alert B added, then either
// 2 copies of "resolved" (even groups) or 2 more repeats of A+B (odd groups). Groups are sent in parallel,
// each group's notifications in order, as Alertmanager sends them.
string Payload(int g, string status, bool both)
{
    object Alert(string fp, string st) => new
    {
        status = st,
        labels = new { alertname = $"Alert{g}", severity = g % 3 == 0 ? "critical" : "warning", app = $"app{g % 7}", instance = fp },
        annotations = new { summary = $"alert group {g}" },
        startsAt = "2026-12-01T10:00:00Z",
        endsAt = st == "resolved" ? "2026-12-01T10:30:00Z" : "0001-01-01T00:00:00Z",
        fingerprint = $"{g:x8}{fp}",
    };
    var alerts = both ? new[] { Alert("a", status), Alert("b", status) } : [Alert("a", status)];
    return JsonSerializer.Serialize(new
    {
        receiver = "capstan",
        status,
        alerts,
        groupLabels = new { alertname = $"Alert{g}" },
        commonLabels = new { alertname = $"Alert{g}", severity = g % 3 == 0 ? "critical" : "warning" },
        commonAnnotations = new { summary = $"alert group {g}" },
        externalURL = "http://alertmanager:9093",
        version = "4",
        groupKey = $"{{}}:{{alertname=\"Alert{g}\"}}",
        truncatedAlerts = 0,
    });
}
var plan = Enumerable.Range(0, groups).Select(g =>
    Enumerable.Repeat(Payload(g, "firing", false), 5).Concat(Enumerable.Repeat(Payload(g, "firing", true), 3))
        .Concat(Enumerable.Repeat(g % 2 == 0 ? Payload(g, "resolved", true) : Payload(g, "firing", true), 2)).ToList()).ToList();
var total = plan.Sum(p => p.Count);

using var http = new HttpClient { BaseAddress = new Uri(url) };
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);

async Task<(TimeSpan Took, int Failed)> BurstAsync(string path)
{
    var failed = 0;
    var sw = Stopwatch.StartNew();
    await Parallel.ForEachAsync(Enumerable.Range(0, Workers), async (w, ct) =>
    {
        for (var g = w; g < plan.Count; g += Workers)
            foreach (var body in plan[g])
            {
                using var res = await http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"), ct);
                if (!res.IsSuccessStatusCode) Interlocked.Increment(ref failed);
            }
    });
    return (sw.Elapsed, failed);
}

await BurstAsync("/hooks/null"); // warm-up of the HTTP path
var floor = await BurstAsync("/hooks/null");
var capstan = await BurstAsync("/hooks/alertmanager");

var store = S<IIncidentStore>();
var incidents = await store.ListAsync(false, 100_000, CancellationToken.None);
var resolved = incidents.Count(i => i.IsResolved);
var bySev = incidents.GroupBy(i => i.Severity).OrderBy(x => x.Key).Select(x => $"{x.Key}={x.Count()}");
var expectedResolved = (groups + 1) / 2;
var expectedSev1 = Enumerable.Range(0, groups).Count(g => g % 3 == 0);
var alertEntries = (await node.Ledger.QueryAsync(new LedgerQuery(Kind: "incident.alert", Limit: 10_000), CancellationToken.None)).Count;
var correct = incidents.Count == groups && resolved == expectedResolved && incidents.Count(i => i.Severity == "sev1") == expectedSev1
    && incidents.Select(i => i.Title).Distinct().Count() == groups && capstan.Failed == 0
    && alertEntries == groups * 2 + expectedResolved; // first firing, B added, and the resolution: each recorded once

Console.WriteLine($"deliveries: {total} ({groups} groups, {Workers} parallel senders)");
Console.WriteLine($"no-op endpoint:        {floor.Took.TotalMilliseconds,8:F0} ms  {total / floor.Took.TotalSeconds,8:F0} deliveries/s");
Console.WriteLine($"/hooks/alertmanager:   {capstan.Took.TotalMilliseconds,8:F0} ms  {total / capstan.Took.TotalSeconds,8:F0} deliveries/s  (failed: {capstan.Failed})");
Console.WriteLine($"ratio (capstan / no-op time): {capstan.Took / floor.Took:F1}x");
Console.WriteLine($"incidents: {incidents.Count} (expected {groups}), resolved {resolved} (expected {expectedResolved}), {string.Join(" ", bySev)} (expected sev1={expectedSev1}); incident.alert entries {alertEntries} (expected {groups * 2 + expectedResolved})");
Console.WriteLine(correct ? "CORRECT: exactly the right incidents exist" : "WRONG: the incidents do not match the deliveries");

await app.StopAsync();
foreach (var h in services.GetServices<IHostedService>().Reverse()) await h.StopAsync(CancellationToken.None);
await services.DisposeAsync();
await node.DisposeAsync();
Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
try { Directory.Delete(root, true); } catch (IOException) { }
return correct ? 0 : 1;
