using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Capstan.Core.Ledger;
using Capstan.Incidents.Config;
using Capstan.Incidents.Desk;
using Capstan.Incidents.Notify;
using Capstan.Incidents.OnCall;
using Capstan.Incidents.Store;

namespace Capstan.Incidents.Alerts;

/// <summary>What the intake did with a delivery: the HTTP status to answer, a sentence, and the incident it touched.</summary>
public sealed record AlertOutcome(int Status, string Message, string? Incident = null, string Action = "none");

/// <summary>One alert of an Alertmanager notification.</summary>
internal sealed record AlertItem(string Fingerprint, string Status, IReadOnlyDictionary<string, string> Labels, IReadOnlyDictionary<string, string> Annotations, DateTimeOffset StartsAt, DateTimeOffset? EndsAt);

/// <summary>
/// Accepts Prometheus Alertmanager webhook notifications (payload version 4). The sender proves itself with a bearer
/// token (<c>http_config.authorization</c>) or an HMAC-SHA256 signature of the body; anything else is refused with
/// 401 and recorded. A firing group opens an incident — or attaches to the one it opened — with the severity its
/// labels map to; alerts are deduplicated by groupKey and fingerprint, repeats are heartbeats, and a delivery that
/// arrives out of order never undoes a newer one. A resolved group is recorded and, if the policy says so, resolves
/// the incident.
/// </summary>
public sealed class AlertIntake(IncidentDesk desk, IIncidentStore store, Ledger ledger, OnCallRoster roster, TimeProvider clock)
{
    public const string Actor = "alertmanager";
    public const int MaxBytes = 1_000_000;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Handles one POST: <paramref name="authorization"/> and <paramref name="signature"/> are the request's headers.</summary>
    public async Task<AlertOutcome> ReceiveAsync(string? authorization, string? signature, byte[] body, string? remote, CancellationToken ct)
    {
        var policy = desk.Settings.Alerts;
        if (!policy.Configured)
            return await RejectAsync(403, "Alert intake is off: set incidents.alerts.token (a bearer token) or incidents.alerts.hmacSecret in capstan.yaml, and the same in Alertmanager's webhook_config.", remote, body.Length, ct);
        if (!Authentic(policy, authorization, signature, body))
            return await RejectAsync(401, authorization is null && signature is null
                ? "This delivery is not signed: send `Authorization: Bearer TOKEN` (Alertmanager http_config.authorization) or an X-Capstan-Signature HMAC header."
                : "This delivery's token or signature does not match incidents.alerts in capstan.yaml.", remote, body.Length, ct);
        if (body.Length > MaxBytes) return await RejectAsync(413, $"The payload is {body.Length:N0} bytes; the limit is {MaxBytes:N0}. Lower max_alerts in Alertmanager.", remote, body.Length, ct);

        Payload payload;
        try { payload = Parse(body); }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
            return await RejectAsync(400, $"This is not an Alertmanager version 4 payload: {ex.Message}", remote, body.Length, ct);
        }

        await _gate.WaitAsync(ct);
        try { return await ApplyAsync(payload, policy, ct); }
        finally { _gate.Release(); }
    }

    private static bool Authentic(AlertPolicy policy, string? authorization, string? signature, byte[] body)
    {
        if (policy.Token is { } token && authorization is { } a && a.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a[7..].Trim()), Encoding.UTF8.GetBytes(token)))
            return true;
        if (policy.HmacSecret is { } secret && signature is { } s)
        {
            var expected = DeliveryQueue.Sign(secret, body);
            return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(s.Trim().ToLowerInvariant()), Encoding.UTF8.GetBytes(expected));
        }
        return false;
    }

    private async Task<AlertOutcome> RejectAsync(int status, string message, string? remote, int bytes, CancellationToken ct)
    {
        await ledger.AppendAsync("alert.rejected", Actor, null, null, new { status, reason = message, remote, bytes });
        return new AlertOutcome(status, message);
    }

    internal sealed record Payload(string GroupKey, string Status, IReadOnlyDictionary<string, string> CommonLabels, IReadOnlyDictionary<string, string> CommonAnnotations, IReadOnlyList<AlertItem> Alerts, string? ExternalUrl);

    internal static Payload Parse(byte[] body)
    {
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new FormatException("the body must be a JSON object");
        var version = Str(root, "version");
        if (version != "4") throw new FormatException(version is null ? "\"version\" is missing (Alertmanager sends \"4\")" : $"version \"{version}\" is not supported (only \"4\")");
        var groupKey = Str(root, "groupKey") is { Length: > 0 } g ? g : throw new FormatException("\"groupKey\" is missing");
        var status = Str(root, "status") is "firing" or "resolved" ? Str(root, "status")! : throw new FormatException("\"status\" must be \"firing\" or \"resolved\"");
        if (!root.TryGetProperty("alerts", out var alerts) || alerts.ValueKind != JsonValueKind.Array) throw new FormatException("\"alerts\" must be a list");
        var items = new List<AlertItem>();
        foreach (var a in alerts.EnumerateArray())
        {
            var fp = Str(a, "fingerprint") is { Length: > 0 } f ? f : throw new FormatException($"alert {items.Count + 1} has no \"fingerprint\"");
            var st = Str(a, "status") is "firing" or "resolved" ? Str(a, "status")! : throw new FormatException($"alert {fp} has no valid \"status\"");
            var starts = Time(a, "startsAt") ?? throw new FormatException($"alert {fp} has no valid \"startsAt\"");
            var ends = Time(a, "endsAt");
            if (ends is { Year: <= 1 }) ends = null; // firing alerts carry the zero time
            items.Add(new AlertItem(fp, st, Map(a, "labels"), Map(a, "annotations"), starts, st == "resolved" ? ends ?? starts : null));
        }
        if (items.Count == 0) throw new FormatException("\"alerts\" is empty");
        return new Payload(groupKey, status, Map(root, "commonLabels"), Map(root, "commonAnnotations"), items, Str(root, "externalURL"));
    }

    private static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static DateTimeOffset? Time(JsonElement e, string name) =>
        Str(e, name) is { } s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    private static Dictionary<string, string> Map(JsonElement e, string name)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        if (e.TryGetProperty(name, out var m) && m.ValueKind == JsonValueKind.Object)
            foreach (var p in m.EnumerateObject())
                if (p.Value.ValueKind == JsonValueKind.String) d[p.Name] = p.Value.GetString()!;
        return d;
    }

    private async Task<AlertOutcome> ApplyAsync(Payload p, AlertPolicy policy, CancellationToken ct)
    {
        var settings = desk.Settings;
        var changed = new List<AlertItem>();
        foreach (var a in p.Alerts)
            if (await store.UpsertAlertAsync(p.GroupKey, a.Fingerprint, a.Status, a.StartsAt, a.EndsAt, Summary(a.Labels, a.Annotations), ct))
                changed.Add(a);
        var firing = await store.FiringCountAsync(p.GroupKey, ct);
        var (attached, _) = await store.AlertGroupAsync(p.GroupKey, ct);
        var incident = attached is { } n ? await store.GetAsync(n, ct) : null;
        var now = clock.GetUtcNow();
        if (changed.Count == 0)
            return new AlertOutcome(200, "Already known: nothing new in this delivery (a repeat, or older than what Capstan has).", incident?.Id, "repeat");

        var severity = SeverityOf(p, policy, settings);
        var apps = p.Alerts.Select(a => policy.AppLabels.Select(l => a.Labels.GetValueOrDefault(l)).FirstOrDefault(v => v is not null)).OfType<string>().Distinct().ToList();
        var summary = Summary(p.CommonLabels, p.CommonAnnotations);
        if (firing > 0)
        {
            string action;
            if (incident is null || incident.IsResolved)
            {
                var commander = await CommanderAsync(settings, severity, ct);
                var opened = await desk.OpenAsync(summary, severity, Actor, commander, apps, null, "alert", ct);
                if (!opened.Ok) return new AlertOutcome(422, opened.Text);
                incident = opened.Incident!;
                await store.SetAlertGroupAsync(p.GroupKey, incident.Number, "firing", now, ct);
                action = "opened";
            }
            else
            {
                await desk.AddAppsAsync(incident.Number, apps, ct);
                action = "attached";
                if (settings.Severity(severity) is { } s && settings.Severity(incident.Severity) is { } cur && s.Rank < cur.Rank)
                {
                    await desk.ReclassifyAsync(incident.Number, severity, $"alert {summary} is {severity}", Actor, ct);
                    action = "reclassified";
                }
                await store.SetAlertGroupAsync(p.GroupKey, incident.Number, "firing", now, ct);
            }
            await RecordAsync(incident, p, "firing", changed, firing, summary);
            desk.Touch(incident.Number);
            return new AlertOutcome(200, $"{(action == "opened" ? "Opened" : "Attached to")} {incident.Id}: {changed.Count} alert(s) changed, {firing} firing.", incident.Id, action);
        }

        await store.SetAlertGroupAsync(p.GroupKey, incident?.Number, "resolved", now, ct);
        if (incident is null)
            return new AlertOutcome(200, "Recorded: the group is resolved and never opened an incident.", null, "recorded");
        await RecordAsync(incident, p, "resolved", changed, firing, summary);
        if (policy.ResolveIncidents && !incident.IsResolved)
        {
            await desk.ResolveAsync(incident.Number, $"every alert of {summary} resolved", Actor, ct);
            return new AlertOutcome(200, $"Resolved {incident.Id}: every alert of the group resolved.", incident.Id, "resolved");
        }
        desk.Touch(incident.Number);
        return new AlertOutcome(200, $"Recorded on {incident.Id}: every alert of the group resolved" + (policy.ResolveIncidents ? "." : "; incidents.alerts.resolve is off, so the incident stays open."), incident.Id, "recorded");
    }

    private Task RecordAsync(Incident i, Payload p, string status, IReadOnlyList<AlertItem> changed, int firing, string summary) =>
        desk.RecordForAsync("incident.alert", Actor, i, new
        {
            incident = i.Id,
            groupKey = p.GroupKey,
            status,
            firing,
            summary,
            externalUrl = p.ExternalUrl,
            alerts = changed.Select(a => new { fingerprint = a.Fingerprint, status = a.Status, startsAt = a.StartsAt, endsAt = a.EndsAt, labels = a.Labels }),
        });

    private static string SeverityOf(Payload p, AlertPolicy policy, IncidentsConfig settings)
    {
        string? Map(string? label) => label is not null && policy.Severities.TryGetValue(label, out var s) ? s : label is not null && settings.Severity(label) is { } direct ? direct.Name : null;
        if (Map(p.CommonLabels.GetValueOrDefault(policy.SeverityLabel)) is { } common) return common;
        var levels = p.Alerts.Where(a => a.Status == "firing").Select(a => Map(a.Labels.GetValueOrDefault(policy.SeverityLabel))).OfType<string>()
            .Select(settings.Severity).OfType<SeverityLevel>().OrderBy(l => l.Rank).ToList();
        return levels.Count > 0 ? levels[0].Name : policy.DefaultSeverity;
    }

    private static string Summary(IReadOnlyDictionary<string, string> labels, IReadOnlyDictionary<string, string> annotations) =>
        annotations.GetValueOrDefault("summary") ?? labels.GetValueOrDefault("alertname") ?? "alert";

    /// <summary>The person on call for the first team the severity pages, so an alert's incident has a commander.</summary>
    private async Task<string> CommanderAsync(IncidentsConfig settings, string severity, CancellationToken ct)
    {
        var team = settings.Severity(severity)?.Notify.FirstOrDefault(t => t.Kind == TargetKind.OnCall)?.Name;
        if (team is not null && settings.Schedules.TryGetValue(team, out var s) && (await roster.WhoAsync(s, clock.GetUtcNow(), ct)).Person is { } p) return p;
        return settings.Schedules.Values.Select(sc => OnCallRoster.Scheduled(sc, clock.GetUtcNow()).Person).OfType<string>().FirstOrDefault() ?? Actor;
    }
}
