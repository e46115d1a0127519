namespace Capstan.Core.Ledger.Events;

// Entries the incidents module writes and the indicators module reads (MTTR, change failure links).

/// <summary>An incident was declared (<c>incident.opened</c>).</summary>
public sealed record IncidentOpened(string Incident, string Title, string Severity, IReadOnlyList<string>? Apps, string? Environment, string Commander,
    string Room, string Source, string Meaning) : ILedgerEvent
{
    public const string Kind = "incident.opened";
    static string ILedgerEvent.EventKind => Kind;
}

/// <summary>An incident's severity changed (<c>incident.severity</c>), "up" or "down".</summary>
public sealed record IncidentSeverityChanged(string Incident, string From, string To, string? Reason, string Direction) : ILedgerEvent
{
    public const string Kind = "incident.severity";
    static string ILedgerEvent.EventKind => Kind;
}

/// <summary>Someone acknowledged an incident (<c>incident.acknowledged</c>), <see cref="Seconds"/> after it opened; by resolving it when <see cref="ByResolving"/>.</summary>
public sealed record IncidentAcknowledged(string Incident, string Severity, int Seconds, bool? ByResolving = null) : ILedgerEvent
{
    public const string Kind = "incident.acknowledged";
    static string ILedgerEvent.EventKind => Kind;
}

/// <summary>An incident was resolved (<c>incident.resolved</c>), <see cref="Seconds"/> after it opened.</summary>
public sealed record IncidentResolved(string Incident, string? Summary, string Severity, int Seconds) : ILedgerEvent
{
    public const string Kind = "incident.resolved";
    static string ILedgerEvent.EventKind => Kind;
}

/// <summary>A resolved incident was opened again (<c>incident.reopened</c>).</summary>
public sealed record IncidentReopened(string Incident, string Severity) : ILedgerEvent
{
    public const string Kind = "incident.reopened";
    static string ILedgerEvent.EventKind => Kind;
}
