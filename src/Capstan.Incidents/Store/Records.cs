namespace Capstan.Incidents.Store;

/// <summary>Where an incident is in its life.</summary>
public static class IncidentStatus
{
    public const string Open = "open";
    public const string Acknowledged = "acknowledged";
    public const string Resolved = "resolved";
}

/// <summary>An incident as it stands now (the ledger holds how it got here).</summary>
public sealed record Incident(
    long Number,
    string Title,
    string Severity,
    string Status,
    string Commander,
    string? Comms,
    string? Scribe,
    IReadOnlyList<string> Apps,
    string Environment,
    string Room,
    DateTimeOffset OpenedAt,
    DateTimeOffset? AcknowledgedAt,
    DateTimeOffset? ResolvedAt,
    string? Summary,
    DateTimeOffset LastUpdateAt,
    DateTimeOffset? RemindedAt,
    int EscalationLevel,
    string? Postmortem,
    string OpenedBy)
{
    public string Id => IncidentId.Format(Number);
    public bool IsResolved => Status == IncidentStatus.Resolved;
}

/// <summary>INC-N: how incidents are named in chat, the ledger and the UI.</summary>
public static class IncidentId
{
    public static string Format(long number) => $"INC-{number}";

    /// <summary>
    /// Reads INC-12 (any case, or #inc-12, the room); null otherwise. A bare number is not an id, so
    /// `incident done 2` in an incident's room means task 2 of that incident.
    /// </summary>
    public static long? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var t = text.Trim().TrimStart('#');
        return t.StartsWith("INC-", StringComparison.OrdinalIgnoreCase) ? Number(t[4..]) : null;
    }

    /// <summary>The number of an incident room (inc-12 → 12), or null.</summary>
    public static long? FromRoom(string room) => room.StartsWith("inc-", StringComparison.Ordinal) ? Number(room[4..]) : null;

    private static long? Number(string t) =>
        long.TryParse(t, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0 ? n : null;

    /// <summary>The incident's own room.</summary>
    public static string Room(long number) => $"inc-{number}";
}

/// <summary>A follow-up task of an incident.</summary>
public sealed record IncidentTask(long Id, long Incident, string Text, string? Owner, string CreatedBy, DateTimeOffset At, bool Done);

/// <summary>A temporary change of who is on call for a team.</summary>
public sealed record OnCallOverride(long Id, string Team, string Person, DateTimeOffset From, DateTimeOffset Until, string By);

/// <summary>A notification waiting to be delivered (a webhook call, or a direct message held for quiet hours).</summary>
public sealed record QueuedNotification(
    long Id, string Channel, string Target, string Event, string Body, int Attempts, DateTimeOffset NextAt, string State, string? LastError,
    DateTimeOffset CreatedAt, DateTimeOffset? DeliveredAt)
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Webhook = "webhook";
    public const string Direct = "dm";
}
