using System.Globalization;
using Capstan.Core.Commands;

namespace Capstan.Chat.Adapters;

/// <summary>The adapters' states as one table, the same in chat, on the command line and (as data) on the adapters page.</summary>
public static class AdapterReport
{
    /// <summary>Said when no server runs where the question was asked: adapters live only in a running server.</summary>
    public const string NoServer = "No Capstan server is running here, so no chat adapter is connected: adapters run inside the server. Start it with `capstan up`, then ask again.";

    /// <summary>Said when the server runs no adapter.</summary>
    public const string NoneConfigured = "No chat platforms are configured. Add one under platforms: in capstan.yaml (see docs/platforms.md); its adapter starts with the next configuration commit.";

    public static CommandResult Result(IReadOnlyList<AdapterStatus> statuses, DateTimeOffset now) =>
        statuses.Count == 0 ? CommandResult.Info(NoneConfigured) : CommandResult.Info(Sentence(statuses), Table(statuses, now));

    public static string Sentence(IReadOnlyList<AdapterStatus> statuses)
    {
        var connected = statuses.Count(s => s.State == AdapterState.Connected);
        return $"{connected} of {statuses.Count} chat adapter(s) connected.";
    }

    public static Table Table(IReadOnlyList<AdapterStatus> statuses, DateTimeOffset now) => new(
        ["platform", "state", "since", "last error", "reconnects", "received", "answered", "ignored", "duplicates", "sent", "queued"],
        statuses.Select(s => (IReadOnlyList<string>)
        [
            s.Platform,
            s.State.ToString().ToLowerInvariant() + (s.Detail is { Length: > 0 } d ? $" ({d})" : ""),
            Ago(now - s.Since),
            s.LastError is null ? "—" : $"{s.LastError} ({Ago(now - (s.LastErrorAt ?? now))})",
            Number(s.Reconnects), Number(s.Received), Number(s.Answered), Number(s.Ignored), Number(s.Duplicates), Number(s.Sent), Number(s.Queued),
        ]).ToList());

    private static string Number(long n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Ago(TimeSpan t) => t.TotalSeconds < 1 ? "just now" : DurationText.Format(t) + " ago";
}
