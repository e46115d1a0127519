using System.Globalization;
using Capstan.Core.Storage;
using Dapper;
using System.Data.Common;
using Capstan.Incidents.Migrations;

namespace Capstan.Incidents.Store;

/// <summary>
/// The incidents module's tables in the node's database: incidents, who was notified of each, tasks, alert
/// groups and alerts, on-call overrides and the durable notification queue. Created on first use
/// (<see cref="IncidentMigrations"/>); written in the SQL every dialect shares, what differs comes from <see cref="IDatabase.Sql"/>.
/// </summary>
public sealed class IncidentStore(IDatabase db) : IIncidentStore
{
    private const string IncidentColumns = "number, title, severity, status, commander, comms, scribe, apps, environment, room, opened_at, acked_at, resolved_at, summary, last_update_at, reminded_at, escalation_level, postmortem, opened_by";

    /// <summary>A connection, the module's tables created or upgraded first when needed.</summary>
    private async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        await db.MigrateAsync(IncidentMigrations.All, ct);
        return await db.OpenConnectionAsync(ct);
    }

    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
    private static DateTimeOffset ReadTime(object v) => DateTimeOffset.Parse((string)v, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
    private static DateTimeOffset? ReadTimeOrNull(object? v) => v is string s ? ReadTime(s) : null;

    // ---- incidents

    /// <summary>Creates an incident with the next number (numbers are never reused).</summary>
    public async Task<Incident> CreateAsync(string title, string severity, string commander, IReadOnlyList<string> apps, string environment, DateTimeOffset at, string openedBy, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await using var tx = await db.Sql.BeginWriteAsync(c, ct);
        var number = await c.ExecuteScalarAsync<long>("SELECT COALESCE(MAX(number), 0) + 1 FROM incidents", transaction: tx);
        await c.ExecuteAsync($"INSERT INTO incidents ({IncidentColumns}) VALUES (@number, @title, @severity, 'open', @commander, NULL, NULL, @apps, @environment, @room, @at, NULL, NULL, NULL, @at, NULL, 0, NULL, @openedBy)",
            new { number, title, severity, commander, apps = string.Join(',', apps), environment, room = IncidentId.Room(number), at = Time(at), openedBy }, tx);
        await tx.CommitAsync(ct);
        return (await GetAsync(number, ct))!;
    }

    public async Task<Incident?> GetAsync(long number, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        return (await QueryIncidentsAsync(c, "WHERE number = @number", new { number })).SingleOrDefault();
    }

    /// <summary>Newest first; only unresolved ones when <paramref name="openOnly"/>.</summary>
    public async Task<IReadOnlyList<Incident>> ListAsync(bool openOnly, int limit, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        return await QueryIncidentsAsync(c, (openOnly ? "WHERE status <> 'resolved' " : "") + "ORDER BY number DESC LIMIT @limit", new { limit });
    }

    private static async Task<List<Incident>> QueryIncidentsAsync(DbConnection c, string where, object args)
    {
        var rows = await c.QueryAsync($"SELECT {IncidentColumns} FROM incidents {where}", args);
        return rows.Select(r => (IDictionary<string, object?>)r).Select(r => new Incident(
            (long)r["number"]!, (string)r["title"]!, (string)r["severity"]!, (string)r["status"]!, (string)r["commander"]!, r["comms"] as string, r["scribe"] as string,
            ((string)r["apps"]!).Split(',', StringSplitOptions.RemoveEmptyEntries), (string)r["environment"]!, (string)r["room"]!, ReadTime(r["opened_at"]!),
            ReadTimeOrNull(r["acked_at"]), ReadTimeOrNull(r["resolved_at"]), r["summary"] as string, ReadTime(r["last_update_at"]!), ReadTimeOrNull(r["reminded_at"]),
            (int)(long)r["escalation_level"]!, r["postmortem"] as string, (string)r["opened_by"]!)).ToList();
    }

    /// <summary>Changes the severity only if it is still <paramref name="from"/>; false when someone changed it first.</summary>
    public async Task<bool> SetSeverityAsync(long number, string from, string to, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        return await c.ExecuteAsync("UPDATE incidents SET severity = @to WHERE number = @number AND severity = @from", new { number, from, to }) == 1;
    }

    public async Task SetRoleAsync(long number, string role, string person, CancellationToken ct)
    {
        var column = role switch { "commander" => "commander", "comms" => "comms", "scribe" => "scribe", _ => throw new ArgumentException($"no role {role}") };
        await using var c = await OpenAsync(ct);
        await c.ExecuteAsync($"UPDATE incidents SET {column} = @person WHERE number = @number", new { number, person });
    }

    /// <summary>Marks the incident acknowledged if it is open and not yet acknowledged; false otherwise.</summary>
    public async Task<bool> AcknowledgeAsync(long number, DateTimeOffset at, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        return await c.ExecuteAsync("UPDATE incidents SET status = 'acknowledged', acked_at = @at WHERE number = @number AND status = 'open'", new { number, at = Time(at) }) == 1;
    }

    /// <summary>Resolves the incident (acknowledging it too if nobody had); false when it already was resolved.</summary>
    public async Task<bool> ResolveAsync(long number, string? summary, DateTimeOffset at, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        return await c.ExecuteAsync("UPDATE incidents SET status = 'resolved', resolved_at = @at, acked_at = COALESCE(acked_at, @at), summary = COALESCE(@summary, summary) WHERE number = @number AND status <> 'resolved'",
            new { number, summary, at = Time(at) }) == 1;
    }

    public async Task<bool> ReopenAsync(long number, DateTimeOffset at, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        return await c.ExecuteAsync("UPDATE incidents SET status = 'acknowledged', resolved_at = NULL, last_update_at = @at, reminded_at = NULL WHERE number = @number AND status = 'resolved'",
            new { number, at = Time(at) }) == 1;
    }

    public async Task UpdatedAsync(long number, DateTimeOffset at, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await c.ExecuteAsync("UPDATE incidents SET last_update_at = @at, reminded_at = NULL WHERE number = @number", new { number, at = Time(at) });
    }

    public async Task RemindedAsync(long number, DateTimeOffset at, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await c.ExecuteAsync("UPDATE incidents SET reminded_at = @at WHERE number = @number", new { number, at = Time(at) });
    }

    /// <summary>Moves the escalation to a level only forwards; false when another pass got there first.</summary>
    public async Task<bool> EscalateAsync(long number, int from, int to, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        return await c.ExecuteAsync("UPDATE incidents SET escalation_level = @to WHERE number = @number AND escalation_level = @from AND status = 'open'", new { number, from, to }) == 1;
    }

    public async Task SetPostmortemAsync(long number, string commit, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await c.ExecuteAsync("UPDATE incidents SET postmortem = @commit WHERE number = @number", new { number, commit });
    }

    public async Task SetAppsAsync(long number, IReadOnlyList<string> apps, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await c.ExecuteAsync("UPDATE incidents SET apps = @apps WHERE number = @number", new { number, apps = string.Join(',', apps) });
    }

    // ---- who was notified

    /// <summary>Records that targets were notified; returns only those not notified before (so nobody hears twice).</summary>
    public async Task<IReadOnlyList<string>> ClaimNotifiedAsync(long number, IEnumerable<string> targets, string severity, DateTimeOffset at, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var fresh = new List<string>();
        foreach (var t in targets.Distinct(StringComparer.OrdinalIgnoreCase))
            if (await c.ExecuteAsync("INSERT INTO incident_notified (number, target, severity, at) VALUES (@number, @t, @severity, @at) ON CONFLICT DO NOTHING", new { number, t, severity, at = Time(at) }) == 1)
                fresh.Add(t);
        return fresh;
    }

    public async Task<IReadOnlyList<string>> NotifiedAsync(long number, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        return (await c.QueryAsync<string>("SELECT target FROM incident_notified WHERE number = @number ORDER BY at, target", new { number })).ToList();
    }

    // ---- tasks

    public async Task<IncidentTask> AddTaskAsync(long number, string text, string? owner, string by, DateTimeOffset at, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var id = await c.ExecuteScalarAsync<long>("INSERT INTO incident_tasks (number, text, owner, created_by, at) VALUES (@number, @text, @owner, @by, @at) RETURNING id",
            new { number, text, owner, by, at = Time(at) });
        return new IncidentTask(id, number, text, owner, by, at, false);
    }

    public async Task<bool> CompleteTaskAsync(long number, long id, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        return await c.ExecuteAsync("UPDATE incident_tasks SET done = 1 WHERE number = @number AND id = @id", new { number, id }) == 1;
    }

    public async Task<IReadOnlyList<IncidentTask>> TasksAsync(long number, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync("SELECT id, number, text, owner, created_by, at, done FROM incident_tasks WHERE number = @number ORDER BY id", new { number });
        return rows.Select(r => (IDictionary<string, object?>)r).Select(r => new IncidentTask((long)r["id"]!, (long)r["number"]!, (string)r["text"]!, r["owner"] as string,
            (string)r["created_by"]!, ReadTime(r["at"]!), (long)r["done"]! == 1)).ToList();
    }

    // ---- alert groups

    /// <summary>The incident an alert group is attached to, if any.</summary>
    public async Task<(long? Incident, string? Status)> AlertGroupAsync(string groupKey, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var row = await c.QueryFirstOrDefaultAsync("SELECT incident, status FROM alert_groups WHERE group_key = @groupKey", new { groupKey });
        if (row is null) return (null, null);
        var d = (IDictionary<string, object?>)row;
        return (d["incident"] as long?, d["status"] as string);
    }

    public async Task SetAlertGroupAsync(string groupKey, long? incident, string status, DateTimeOffset at, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await c.ExecuteAsync("INSERT INTO alert_groups (group_key, incident, status, updated_at) VALUES (@groupKey, @incident, @status, @at) " +
            "ON CONFLICT(group_key) DO UPDATE SET incident = COALESCE(excluded.incident, alert_groups.incident), status = excluded.status, updated_at = excluded.updated_at",
            new { groupKey, incident, status, at = Time(at) });
    }

    /// <summary>
    /// Upserts one alert; returns whether it changed. An older notification (by startsAt/endsAt) never overwrites a newer
    /// one, so deliveries that arrive out of order leave the newest state.
    /// </summary>
    public async Task<bool> UpsertAlertAsync(string groupKey, string fingerprint, string status, DateTimeOffset startsAt, DateTimeOffset? endsAt, string summary, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var current = await c.QueryFirstOrDefaultAsync("SELECT status, starts_at, ends_at FROM alert_alerts WHERE group_key = @groupKey AND fingerprint = @fingerprint", new { groupKey, fingerprint });
        if (current is IDictionary<string, object?> cur)
        {
            var (curStatus, curStart, curEnd) = ((string)cur["status"]!, ReadTime(cur["starts_at"]!), ReadTimeOrNull(cur["ends_at"]));
            if (curStatus == status && curStart == startsAt && curEnd == endsAt) return false; // a repeat: a heartbeat, not news
            var curStamp = curEnd ?? curStart;
            var newStamp = endsAt ?? startsAt;
            // A resolved alert only comes back to firing with a later start; a stale firing copy of it is ignored.
            if (newStamp < curStamp || (curStatus == "resolved" && status == "firing" && startsAt <= curStart)) return false;
        }
        await c.ExecuteAsync("INSERT INTO alert_alerts (group_key, fingerprint, status, starts_at, ends_at, summary) VALUES (@groupKey, @fingerprint, @status, @s, @e, @summary) " +
            "ON CONFLICT(group_key, fingerprint) DO UPDATE SET status = excluded.status, starts_at = excluded.starts_at, ends_at = excluded.ends_at, summary = excluded.summary",
            new { groupKey, fingerprint, status, s = Time(startsAt), e = endsAt is { } x ? Time(x) : null, summary });
        return true;
    }

    /// <summary>How many alerts of a group are firing now.</summary>
    public async Task<int> FiringCountAsync(string groupKey, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        return await c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM alert_alerts WHERE group_key = @groupKey AND status = 'firing'", new { groupKey });
    }

    // ---- on-call overrides

    public async Task<OnCallOverride> AddOverrideAsync(string team, string person, DateTimeOffset from, DateTimeOffset until, string by, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var id = await c.ExecuteScalarAsync<long>("INSERT INTO oncall_overrides (team, person, from_at, until_at, by) VALUES (@team, @person, @f, @u, @by) RETURNING id",
            new { team, person, f = Time(from), u = Time(until), by });
        return new OnCallOverride(id, team, person, from, until, by);
    }

    /// <summary>Overrides in force at an instant, newest first (the latest one wins).</summary>
    public async Task<IReadOnlyList<OnCallOverride>> OverridesAsync(DateTimeOffset at, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync("SELECT id, team, person, from_at, until_at, by FROM oncall_overrides WHERE from_at <= @at AND until_at > @at ORDER BY id DESC", new { at = Time(at) });
        return rows.Select(r => (IDictionary<string, object?>)r).Select(r => new OnCallOverride((long)r["id"]!, (string)r["team"]!, (string)r["person"]!,
            ReadTime(r["from_at"]!), ReadTime(r["until_at"]!), (string)r["by"]!)).ToList();
    }

    // ---- the notification queue

    public async Task<long> EnqueueAsync(string channel, string target, string evt, string body, DateTimeOffset at, DateTimeOffset due, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        return await c.ExecuteScalarAsync<long>("INSERT INTO notify_queue (channel, target, event, body, next_at, state, created_at) VALUES (@channel, @target, @evt, @body, @due, 'pending', @at) RETURNING id",
            new { channel, target, evt, body, at = Time(at), due = Time(due) });
    }

    public async Task<IReadOnlyList<QueuedNotification>> DueAsync(DateTimeOffset now, int limit, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        return ReadDeliveries(await c.QueryAsync("SELECT * FROM notify_queue WHERE state = 'pending' AND next_at <= @now ORDER BY next_at, id LIMIT @limit", new { now = Time(now), limit }));
    }

    public async Task<IReadOnlyList<QueuedNotification>> DeliveriesAsync(int limit, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        return ReadDeliveries(await c.QueryAsync("SELECT * FROM notify_queue ORDER BY id DESC LIMIT @limit", new { limit }));
    }

    public async Task DeliveredAsync(long id, int attempts, DateTimeOffset at, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await c.ExecuteAsync("UPDATE notify_queue SET state = 'delivered', attempts = @attempts, delivered_at = @at, last_error = NULL WHERE id = @id", new { id, attempts, at = Time(at) });
    }

    public async Task RetryLaterAsync(long id, int attempts, DateTimeOffset next, string error, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await c.ExecuteAsync("UPDATE notify_queue SET attempts = @attempts, next_at = @next, last_error = @error WHERE id = @id", new { id, attempts, next = Time(next), error });
    }

    private static List<QueuedNotification> ReadDeliveries(IEnumerable<dynamic> rows) =>
        rows.Select(r => (IDictionary<string, object?>)r).Select(r => new QueuedNotification((long)r["id"]!, (string)r["channel"]!, (string)r["target"]!, (string)r["event"]!, (string)r["body"]!,
            (int)(long)r["attempts"]!, ReadTime(r["next_at"]!), (string)r["state"]!, r["last_error"] as string, ReadTime(r["created_at"]!), ReadTimeOrNull(r["delivered_at"]))).ToList();
}
