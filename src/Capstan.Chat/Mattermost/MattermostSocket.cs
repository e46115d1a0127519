using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace Capstan.Chat.Mattermost;

/// <summary>
/// Mattermost's WebSocket event stream (<c>/api/v4/websocket</c>): authenticated with an <c>authentication_challenge</c>
/// (sequence 1, answered by a <c>seq_reply</c>), kept alive with <c>ping</c> actions — a ping not answered by the next one
/// ends the session, so a silently dead connection is noticed — and read event by event.
/// </summary>
internal sealed class MattermostSocket : IAsyncDisposable
{
    /// <summary>How often Capstan pings; no answer within the next interval means the connection is dead.</summary>
    public static readonly TimeSpan PingEvery = TimeSpan.FromSeconds(30);

    /// <summary>How long the server may take to accept the token.</summary>
    public static readonly TimeSpan AuthTimeout = TimeSpan.FromSeconds(30);

    private readonly ClientWebSocket _socket;
    private readonly TimeProvider _clock;
    private readonly ILogger _log;
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly byte[] _buffer = new byte[16 * 1024];
    private long _seq = 1;
    private long _unansweredPing;

    private MattermostSocket(ClientWebSocket socket, TimeProvider clock, ILogger log)
    {
        _socket = socket;
        _clock = clock;
        _log = log;
    }

    /// <summary>Connects and authenticates; throws <see cref="MattermostTokenRefused"/> when the server refuses the token.</summary>
    public static async Task<MattermostSocket> ConnectAsync(Uri server, string token, TimeProvider clock, ILogger log, CancellationToken ct)
    {
        var address = new UriBuilder(server) { Scheme = server.Scheme == "https" ? "wss" : "ws", Path = server.AbsolutePath.TrimEnd('/') + "/api/v4/websocket" }.Uri;
        var ws = new ClientWebSocket();
        var socket = new MattermostSocket(ws, clock, log);
        try
        {
            await ws.ConnectAsync(address, ct);
            await socket.SendAsync(new JsonObject { ["seq"] = 1, ["action"] = "authentication_challenge", ["data"] = new JsonObject { ["token"] = token } }, ct);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(AuthTimeout);
            while (true)
            {
                var frame = await socket.ReceiveAsync(timeout.Token)
                    ?? throw new IOException("Mattermost closed the event stream before accepting the token");
                if (frame["seq_reply"]?.GetValue<long>() != 1) continue; // the hello event comes first on some versions
                if (frame["status"]?.GetValue<string>() == "OK") return socket;
                throw new MattermostTokenRefused($"Mattermost refused the bot's token on the event stream ({frame["error"]?["message"]?.GetValue<string>() ?? frame["status"]?.ToString()}): make a new access token for the bot account and put it in the secret store");
            }
        }
        catch
        {
            await socket.DisposeAsync();
            throw;
        }
    }

    /// <summary>Reads events until the stream ends (throws then, so the host reconnects and shows why).</summary>
    public async Task ReadAsync(Action<JsonObject> take, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var pings = PingAsync(stop.Token);
        var reads = ReadEventsAsync(take, stop.Token);
        var first = await Task.WhenAny(pings, reads);
        await stop.CancelAsync();
        try { await Task.WhenAll(pings, reads); }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested && first.Status != TaskStatus.Canceled) { /* the other half stopping */ }
        await first; // its exception says why the session ended
    }

    private async Task ReadEventsAsync(Action<JsonObject> take, CancellationToken ct)
    {
        while (true)
        {
            var frame = await ReceiveAsync(ct) ?? throw new IOException("Mattermost closed the event stream");
            if (frame["seq_reply"] is JsonValue reply && reply.GetValue<long>() == Interlocked.Read(ref _unansweredPing))
                Interlocked.Exchange(ref _unansweredPing, 0);
            else if (frame["event"] is not null) take(frame);
        }
    }

    private async Task PingAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(PingEvery, _clock);
        while (await timer.WaitForNextTickAsync(ct))
        {
            if (Interlocked.Read(ref _unansweredPing) != 0)
                throw new IOException($"Mattermost did not answer a ping within {PingEvery.TotalSeconds:0} s; the connection is taken as dead");
            var seq = Interlocked.Increment(ref _seq);
            Interlocked.Exchange(ref _unansweredPing, seq);
            await SendAsync(new JsonObject { ["seq"] = seq, ["action"] = "ping" }, ct);
        }
    }

    private async Task SendAsync(JsonObject frame, CancellationToken ct)
    {
        await _sending.WaitAsync(ct);
        try { await _socket.SendAsync(Encoding.UTF8.GetBytes(frame.ToJsonString()), WebSocketMessageType.Text, true, ct); }
        finally { _sending.Release(); }
    }

    /// <summary>The next whole text frame as JSON, or null when the server closed the stream.</summary>
    private async Task<JsonObject?> ReceiveAsync(CancellationToken ct)
    {
        using var message = new MemoryStream();
        while (true)
        {
            var result = await _socket.ReceiveAsync(_buffer, ct);
            if (result.MessageType == WebSocketMessageType.Close) return null;
            message.Write(_buffer, 0, result.Count);
            if (message.Length > 16 * 1024 * 1024) throw new IOException("Mattermost sent an event larger than 16 MB; the stream is reopened");
            if (!result.EndOfMessage) continue;
            if (JsonNode.Parse(message.ToArray()) is JsonObject frame) return frame;
            _log.LogDebug("Mattermost sent a frame that is not a JSON object; it is skipped");
            message.SetLength(0);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try { await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "Capstan is leaving", quick.Token); }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
            {
                _log.LogDebug(ex, "Closing the Mattermost event stream politely failed; it is dropped");
            }
        }
        _socket.Dispose();
        _sending.Dispose();
    }
}
