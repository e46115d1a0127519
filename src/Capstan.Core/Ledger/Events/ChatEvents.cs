namespace Capstan.Core.Ledger.Events;

/// <summary>A handle asked to be linked (<c>chat.link.asked</c>); the code itself is never recorded.</summary>
public sealed record HandleLinkAsked(string Platform, string Handle, DateTimeOffset ExpiresAt) : ILedgerEvent
{
    public const string Kind = "chat.link.asked";
    static string ILedgerEvent.EventKind => Kind;
}

/// <summary>A person confirmed a link code on the web UI and the handle was committed to their entry (<c>chat.link.confirmed</c>).</summary>
public sealed record HandleLinked(string Platform, string Handle, string Person, string? Commit, string? Replaced) : ILedgerEvent
{
    public const string Kind = "chat.link.confirmed";
    static string ILedgerEvent.EventKind => Kind;
}

/// <summary>A link code was refused on the web UI: unknown, spent, expired, or the handle belongs to someone else (<c>chat.link.refused</c>).</summary>
public sealed record HandleLinkRefused(string? Platform, string? Handle, string Reason) : ILedgerEvent
{
    public const string Kind = "chat.link.refused";
    static string ILedgerEvent.EventKind => Kind;
}
