using Capstan.Core.Ledger;
using Capstan.Incidents.Alerts;
using Capstan.Incidents.Desk;
using Capstan.Incidents.Figures;
using Capstan.Incidents.Notify;
using Capstan.Incidents.Postmortems;
using Capstan.Incidents.Store;
using Capstan.Incidents.Timeline;
using Capstan.Web;
using Capstan.Web.Api;
using Capstan.Web.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Capstan.Incidents.Web;

/// <summary>The body of POST /api/incidents.</summary>
public sealed record OpenIncidentBody(string? Title, string? Severity, string? Apps, string? Commander, string? Environment);

/// <summary>The body of POST /api/incidents/{n}/notes.</summary>
public sealed record NoteBody(string? Text);

/// <summary>The body of POST /api/incidents/{n}/marks.</summary>
public sealed record MarkBody(long Seq, bool Key = true);

/// <summary>
/// The incidents pages (list, detail with timeline filters, key marks and notes, the postmortem rendered from
/// Markdown), their JSON API, the notification queue, and the Alertmanager webhook <c>POST /hooks/alertmanager</c>.
/// </summary>
public static class IncidentsApi
{
    public static void MapIncidents(this IEndpointRouteBuilder app)
    {
        app.MapGet("/incidents", () => Pages.Page("incidents.html"));
        app.MapGet("/incidents/{n:long}", (long n) => Pages.Page("incident.html"));
        app.MapGet("/incidents/{n:long}/postmortem", async (long n, IIncidentStore store, PostmortemWriter writer, CancellationToken ct) =>
        {
            if (await store.GetAsync(n, ct) is not { } i) return Results.Content(Pages.Message("No such incident", $"There is no incident {IncidentId.Format(n)}."), "text/html; charset=utf-8", statusCode: 404);
            var markdown = writer.Committed(i);
            if (markdown is null) return Results.Content(Pages.Message($"{i.Id} has no postmortem yet", $"Run `incident postmortem {i.Id}` in chat to draft and commit it."), "text/html; charset=utf-8", statusCode: 404);
            return Pages.Page("postmortem.html", new Dictionary<string, string>
            {
                // Markdown from people (notes, chat) becomes HTML here: only what cannot run or leave the page stays.
                ["postmortem"] = SafeHtml.Clean(PostmortemWriter.Render(markdown)),
                ["title"] = System.Net.WebUtility.HtmlEncode($"{i.Id} postmortem"),
                ["back"] = $"/incidents/{i.Number}",
                ["commit"] = System.Net.WebUtility.HtmlEncode(i.Postmortem is { } c ? c[..7] : ""),
            });
        }).RequireSignIn().WithMetadata(new RecordsOwnTokenUse());

        var api = app.MapGroup("/api/incidents").RequireSignIn();
        api.MapGet("", async (bool? all, int? days, IIncidentStore store, IncidentDesk desk, IncidentFigures figures, CancellationToken ct) =>
        {
            var list = await store.ListAsync(all != true, 200, ct);
            var period = TimeSpan.FromDays(Math.Clamp(days ?? 30, 1, 3650));
            var f = await figures.PeriodAsync(period, ct);
            var times = list.Count == 0 ? new Dictionary<string, IncidentTimes>() : (await figures.TimesAsync(list.Min(x => x.OpenedAt).AddSeconds(-1), ct)).ToDictionary(t => t.Incident);
            return Results.Json(new
            {
                incidents = list.Select(i => View(i, times.GetValueOrDefault(i.Id))),
                severities = desk.Settings.Severities.Select(s => new { s.Name, s.Meaning }),
                figures = new { days = (int)period.TotalDays, f.Opened, f.Acknowledged, f.Resolved, mtta = Seconds(f.Mtta), mttr = Seconds(f.Mttr), mttaText = PeriodFigures.Show(f.Mtta), mttrText = PeriodFigures.Show(f.Mttr) },
            }, Ledger.Json);
        });
        api.MapPost("", async (OpenIncidentBody body, Caller caller, IncidentDesk desk, CancellationToken ct) =>
        {
            if (string.IsNullOrWhiteSpace(body.Title) || string.IsNullOrWhiteSpace(body.Severity))
                return Results.Json(new { error = "An incident needs a title and a severity (" + string.Join(", ", desk.Settings.SeverityNames) + ")." }, statusCode: 400);
            await desk.OpenRoomsAsync(ct);
            var apps = (body.Apps ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
            var commander = string.IsNullOrWhiteSpace(body.Commander) ? null : body.Commander.TrimStart('@');
            var r = await desk.OpenAsync(body.Title, body.Severity, caller.Person.Id, commander, apps, string.IsNullOrWhiteSpace(body.Environment) ? null : body.Environment, "web", ct);
            return r.Ok ? Results.Json(new { id = r.Incident!.Id, number = r.Incident.Number, message = r.Text }, Ledger.Json) : Results.Json(new { error = r.Text }, statusCode: 400);
        });
        api.MapGet("/{n:long}", async (long n, IIncidentStore store, IncidentTimeline timeline, IncidentFigures figures, CancellationToken ct) =>
        {
            if (await store.GetAsync(n, ct) is not { } i) return NotFound(n, await store.ListAsync(true, 10, ct));
            var times = await figures.ForAsync(i.Id, i.OpenedAt, ct);
            return Results.Json(new
            {
                incident = View(i, times),
                timeline = await timeline.BuildAsync(i, ct),
                categories = IncidentTimeline.Categories,
                tasks = await store.TasksAsync(n, ct),
                notified = await store.NotifiedAsync(n, ct),
            }, Ledger.Json);
        });
        api.MapPost("/{n:long}/notes", async (long n, NoteBody body, Caller caller, IncidentDesk desk, CancellationToken ct) =>
        {
            var r = await desk.NoteAsync(n, body.Text ?? "", caller.Person.Id, ct);
            return r.Ok ? Results.Json(new { message = r.Text }) : Results.Json(new { error = r.Text }, statusCode: r.Incident is null && r.Text.StartsWith("There is no", StringComparison.Ordinal) ? 404 : 400);
        });
        api.MapPost("/{n:long}/marks", async (long n, MarkBody body, Caller caller, IncidentDesk desk, IncidentTimeline timeline, CancellationToken ct) =>
        {
            if (await desk.Store.GetAsync(n, ct) is not { } i) return NotFound(n, await desk.Store.ListAsync(true, 10, ct));
            if ((await timeline.BuildAsync(i, ct)).All(e => e.Seq != body.Seq)) return Results.Json(new { error = $"Entry {body.Seq} is not in {i.Id}'s timeline." }, statusCode: 400);
            var r = await desk.MarkAsync(n, body.Seq, body.Key, caller.Person.Id, ct);
            return Results.Json(new { message = r.Text });
        });

        app.MapGet("/api/notifications", async (int? limit, IIncidentStore store, CancellationToken ct) =>
        {
            var list = await store.DeliveriesAsync(Math.Clamp(limit ?? 50, 1, 500), ct);
            return Results.Json(list.Select(d => new { d.Id, d.Channel, d.Target, d.Event, d.State, d.Attempts, d.NextAt, d.LastError, d.CreatedAt, d.DeliveredAt }), Ledger.Json);
        }).RequireSignIn();

        app.MapPost("/hooks/alertmanager", async (HttpContext http, AlertIntake intake, CancellationToken ct) =>
        {
            using var buffer = new MemoryStream();
            await http.Request.Body.CopyToAsync(buffer, ct);
            if (buffer.Length > AlertIntake.MaxBytes) return Results.Json(new { error = $"The payload is over {AlertIntake.MaxBytes:N0} bytes; lower max_alerts in Alertmanager." }, statusCode: 413);
            var outcome = await intake.ReceiveAsync(NullIfEmpty(http.Request.Headers.Authorization.ToString()), NullIfEmpty(http.Request.Headers[DeliveryQueue.SignatureHeader].ToString()),
                buffer.ToArray(), http.Connection.RemoteIpAddress?.ToString(), ct);
            return outcome.Status is >= 200 and < 300
                ? Results.Json(new { message = outcome.Message, incident = outcome.Incident, action = outcome.Action }, statusCode: outcome.Status)
                : Results.Json(new { error = outcome.Message }, statusCode: outcome.Status);
        });
    }

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;

    private static double? Seconds(TimeSpan? t) => t?.TotalSeconds;

    private static IResult NotFound(long n, IReadOnlyList<Incident> open) =>
        Results.Json(new { error = $"There is no incident {IncidentId.Format(n)}." + (open.Count > 0 ? $" Open incidents: {string.Join(", ", open.Select(o => o.Id))}." : "") }, statusCode: 404);

    private static object View(Incident i, IncidentTimes? t) => new
    {
        id = i.Id,
        i.Number,
        i.Title,
        i.Severity,
        i.Status,
        i.Commander,
        i.Comms,
        i.Scribe,
        i.Apps,
        i.Environment,
        i.Room,
        i.OpenedAt,
        i.AcknowledgedAt,
        i.ResolvedAt,
        i.Summary,
        i.OpenedBy,
        postmortem = i.Postmortem,
        toAcknowledge = Seconds(t?.ToAcknowledge),
        toResolve = Seconds(t?.ToResolve),
        toAcknowledgeText = PeriodFigures.Show(t?.ToAcknowledge),
        toResolveText = PeriodFigures.Show(t?.ToResolve),
    };
}
