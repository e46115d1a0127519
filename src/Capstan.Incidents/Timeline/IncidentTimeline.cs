using System.Text.Json;
using Capstan.Core.Ledger;
using Capstan.Core.Ledger.Events;
using Capstan.Incidents.Store;

namespace Capstan.Incidents.Timeline;

/// <summary>One line of an incident's timeline: a ledger entry, what kind of thing it was, who, when and what.</summary>
public sealed record TimelineEntry(long Seq, DateTimeOffset At, string Category, string Kind, string Actor, string Text, bool Key, string? App = null);

/// <summary>
/// Builds an incident's timeline from the ledger alone: every entry in the incident's room (messages, commands,
/// Capstan's replies, every severity, role and status change, updates, tasks, notes, notifications), plus every
/// delivery event (deploy, rollback, approval, drift) of the affected apps in its environment while it was open.
/// Key marks come from <c>incident.marked</c> entries; the last one for an entry wins.
/// </summary>
public sealed class IncidentTimeline(Ledger ledger, TimeProvider clock)
{
    /// <summary>The categories entries fall in (the UI's filters).</summary>
    public static readonly string[] Categories = ["status", "chat", "command", "capstan", "update", "task", "note", "notify", "alert", "delivery"];

    private static readonly HashSet<string> Hidden = ["policy.decision", "command.confirmation", "chat.edit", "incident.marked", "chat.refused"];

    private static readonly HashSet<string> DeliveryKinds =
        [ChangeCommitted.Kind, DeploymentSucceeded.Kind, DeploymentFailed.Kind, RolledBack.Kind, DriftDetected.Kind, ApprovalRequested.Kind,
         ApprovalApproved.Kind, ApprovalDenied.Kind, ApprovalExpired.Kind, EnvironmentLocked.Kind, EnvironmentUnlocked.Kind, SlotRemoved.Kind];

    public async Task<IReadOnlyList<TimelineEntry>> BuildAsync(Incident incident, CancellationToken ct)
    {
        var entries = new List<LedgerEntry>();
        await foreach (var e in PageAsync(new LedgerQuery(Room: incident.Room, Limit: 1000), ct)) entries.Add(e);
        var until = incident.ResolvedAt ?? clock.GetUtcNow();
        // Commands about the incident typed in other rooms (`incident sev INC-3 sev1` in #ops) belong to it too.
        await foreach (var e in PageAsync(new LedgerQuery(Kind: LedgerKinds.Command, Since: incident.OpenedAt, Text: $"\"{incident.Id}\"", Limit: 1000), ct))
            if (e.Room != incident.Room && NamesIncident(e, incident)) entries.Add(e);
        if (incident.Apps.Count > 0)
            await foreach (var e in PageAsync(new LedgerQuery(Kind: "delivery.*", Since: incident.OpenedAt, Until: until.AddSeconds(1), Limit: 1000), ct))
                if (DeliveryKinds.Contains(e.Kind) && Concerns(e, incident)) entries.Add(e);

        var marks = new Dictionary<long, bool>();
        foreach (var e in entries.Where(e => e.Kind == "incident.marked"))
        {
            using var d = JsonDocument.Parse(e.Data);
            if (d.RootElement.TryGetProperty("seq", out var s) && s.TryGetInt64(out var seq))
                marks[seq] = !d.RootElement.TryGetProperty("key", out var k) || k.ValueKind != JsonValueKind.False;
        }
        return entries.Where(e => !Hidden.Contains(e.Kind)).DistinctBy(e => e.Seq).OrderBy(e => e.Seq)
            .Select(e => Describe(e, marks.GetValueOrDefault(e.Seq))).ToList();
    }

    private async IAsyncEnumerable<LedgerEntry> PageAsync(LedgerQuery query, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var after = 0L;
        for (var pages = 0; pages < 1000; pages++)
        {
            var page = await ledger.QueryAsync(query with { After = after }, ct);
            foreach (var e in page) yield return e;
            if (page.Count < query.Limit) yield break;
            after = page.Max(e => e.Seq);
        }
    }

    private static bool NamesIncident(LedgerEntry e, Incident i)
    {
        using var d = JsonDocument.Parse(e.Data);
        return d.RootElement.TryGetProperty("arguments", out var a) && a.ValueKind == JsonValueKind.Object
            && a.EnumerateObject().Any(p => p.Value.ValueKind == JsonValueKind.String && IncidentId.Parse(p.Value.GetString()) == i.Number);
    }

    private static bool Concerns(LedgerEntry e, Incident i)
    {
        using var d = JsonDocument.Parse(e.Data);
        var app = Str(d.RootElement, "app");
        var env = Str(d.RootElement, "environment");
        return app is not null && i.Apps.Contains(app, StringComparer.OrdinalIgnoreCase) && (env is null || string.Equals(env, i.Environment, StringComparison.OrdinalIgnoreCase));
    }

    private static string? Str(JsonElement e, string name) => e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static TimelineEntry Describe(LedgerEntry e, bool key)
    {
        using var doc = JsonDocument.Parse(e.Data);
        var d = doc.RootElement;
        string S(string n) => Str(d, n) ?? "";
        var (category, text) = e.Kind switch
        {
            LedgerKinds.Message => ("chat", S("text")),
            LedgerKinds.Reply => ("capstan", S("text")),
            LedgerKinds.Command => ("command", Command(d)),
            "command.error" => ("command", $"`{S("command")}` failed: {S("detail")}"),
            "incident.opened" => ("status", $"Declared [{S("severity")}] {S("title")}; commander {S("commander")}" + Apps(d) + (S("source") == "alert" ? " (from an alert)" : "")),
            "incident.severity" => ("status", $"Severity {S("from")} → {S("to")}" + (Str(d, "reason") is { } r ? $": {r}" : "")),
            "incident.role" => ("status", Str(d, "from") is { } f ? $"{S("role")} handed from {f} to {S("to")}" : $"{S("to")} became {S("role")}"),
            "incident.acknowledged" => ("status", "Acknowledged"),
            "incident.resolved" => ("status", "Resolved" + (Str(d, "summary") is { } s ? $": {s}" : "")),
            "incident.reopened" => ("status", "Reopened"),
            "incident.update" => ("update", S("text")),
            "incident.task" => ("task", $"Task {Num(d, "task")}: {S("text")}" + (Str(d, "owner") is { } o ? $" (@{o})" : "")),
            "incident.task.done" => ("task", $"Task {Num(d, "task")} done"),
            "incident.note" => ("note", S("text")),
            "incident.notified" => ("notify", "Notified " + Recipients(d)),
            "incident.escalated" => ("notify", $"Escalated to level {Num(d, "level")} of {S("team")}: " + Recipients(d)),
            "incident.reminder" => ("notify", $"Reminded {S("commander")}: an update is due"),
            "incident.schedule.gap" => ("notify", S("text")),
            "incident.alert" => ("alert", $"Alert group {S("status")}: {S("summary")}"),
            "incident.postmortem" => ("status", $"Postmortem committed as {S("path")} ({S("commit")[..Math.Min(7, S("commit").Length)]})"),
            var k when k.StartsWith("delivery.", StringComparison.Ordinal) => ("delivery", Str(d, "subject") ?? $"{k["delivery.".Length..]} {S("app")} {S("version")} in {S("environment")}".Trim()),
            _ => ("status", e.Kind),
        };
        return new TimelineEntry(e.Seq, e.At, category, e.Kind, e.Actor, text, key, Str(d, "app"));
    }

    private static string Num(JsonElement d, string n) => d.TryGetProperty(n, out var v) ? v.ToString() : "";

    private static string Apps(JsonElement d) =>
        d.TryGetProperty("apps", out var a) && a.ValueKind == JsonValueKind.Array && a.GetArrayLength() > 0
            ? $"; affects {string.Join(", ", a.EnumerateArray().Select(x => x.GetString()))} in {Str(d, "environment")}" : "";

    private static string Recipients(JsonElement d) =>
        d.TryGetProperty("recipients", out var r) && r.ValueKind == JsonValueKind.Array
            ? string.Join(", ", r.EnumerateArray().Select(x => (Str(x, "target") ?? "?") + (Str(x, "because") is { } why ? $" ({why})" : "") +
                (Str(x, "result") is { } res and not ("posted" or "direct message") ? $" — {res}" : "")))
            : "";

    private static string Command(JsonElement d)
    {
        var name = Str(d, "command") ?? "?";
        if (Str(d, "problem") is { } p) return $"not understood: {p}";
        var args = d.TryGetProperty("arguments", out var a) && a.ValueKind == JsonValueKind.Object
            ? string.Join(" ", a.EnumerateObject().Select(x => x.Value.GetString())) : "";
        return $"`{name}{(args.Length > 0 ? " " + args : "")}`";
    }
}
