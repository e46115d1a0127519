namespace Capstan.Chat.Adapters;

/// <summary>Where an adapter's connection is.</summary>
public enum AdapterState { Starting, Connecting, Connected, Waiting, Stopped }

/// <summary>
/// One adapter as <c>capstan adapters</c> and the adapters page show it: its state since when, the last error (secrets
/// redacted), how often it reconnected, and what it took in and sent.
/// </summary>
public sealed record AdapterStatus(
    string Platform,
    AdapterState State,
    DateTimeOffset Since,
    string? Detail,
    string? LastError,
    DateTimeOffset? LastErrorAt,
    int Reconnects,
    long Received,
    long Answered,
    long Ignored,
    long Duplicates,
    long Sent,
    int Queued);
