using Capstan.Chat.Platforms;
using Microsoft.Extensions.Logging;

namespace Capstan.Chat.Adapters;

/// <summary>
/// What an adapter's session talks back to: it says when it can send, hands over what it receives, and keeps cursors
/// (Matrix's <c>next_batch</c>) durably. One per call of <see cref="IChatAdapter.RunAsync"/>.
/// </summary>
public sealed class AdapterSession
{
    private readonly AdapterConnection _connection;

    internal AdapterSession(AdapterConnection connection, PlatformSettings settings, ILogger log, TimeProvider clock)
    {
        _connection = connection;
        Settings = settings;
        Log = log;
        Clock = clock;
    }

    public PlatformSettings Settings { get; }
    public ILogger Log { get; }
    public TimeProvider Clock { get; }

    /// <summary>The session can send now (after registration, a <c>hello</c> frame, the first sync); queued messages go out.</summary>
    public void Connected(string? detail = null) => _connection.MarkConnected(detail);

    /// <summary>
    /// Takes a received message: ignores Capstan's own and other bots', answers a redelivery once, records it in the
    /// ledger and room history, and runs it when it is a command. Returns once it is recorded and answered (call it
    /// without awaiting for platforms that must acknowledge at once, such as Slack's Socket Mode).
    /// </summary>
    public Task ReceiveAsync(ChatInbound message, CancellationToken ct) => _connection.ReceiveAsync(message, ct);

    /// <summary>Whether a sender is linked to a person in the configuration (Matrix joins rooms only when a linked person invites it).</summary>
    public bool IsLinked(ChatSender sender) => _connection.Identify(sender).Person is not null;

    public Task<string?> CursorAsync(string key, CancellationToken ct) => _connection.Store.CursorAsync(Settings.Platform, key, ct);

    public Task SaveCursorAsync(string key, string value, CancellationToken ct) => _connection.Store.SaveCursorAsync(Settings.Platform, key, value, ct);
}
