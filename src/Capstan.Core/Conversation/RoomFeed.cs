using Capstan.Core.Ledger;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Capstan.Core.Conversation;

/// <summary>Something visible happened in a room.</summary>
public sealed record RoomEvent(string Type, RoomMessage Message)
{
    public const string Posted = "posted";
    public const string Edited = "edited";
}

/// <summary>
/// Live room activity for everyone listening: the web chat, terminal chats, the event stream, platform adapters.
/// Listeners get events in order; a slow listener never blocks the conversation. Every message is passed through
/// the redactor on its way out, so no listener sees a known secret, whoever published it.
/// </summary>
public sealed class RoomFeed(Redactor? redactor = null, ILogger<RoomFeed>? log = null)
{
    private readonly ILogger _log = log ?? NullLogger<RoomFeed>.Instance;

    private readonly Lock _gate = new();
    private volatile Func<RoomEvent, ValueTask>[] _listeners = [];

    /// <summary>Adds a listener; dispose the result to stop listening.</summary>
    public IDisposable Listen(Func<RoomEvent, ValueTask> listener)
    {
        lock (_gate) _listeners = [.. _listeners, listener];
        return new Subscription(this, listener);
    }

    /// <summary>
    /// Delivers to a chat place at the pace it declares (<see cref="IChatPlace.Edits"/>): posts at once, edits
    /// merged so the place gets at most one update per message per interval, and always the last one.
    /// </summary>
    public IDisposable Attach(IChatPlace place, TimeProvider clock)
    {
        var pacer = new EditPacer(place, clock, _log);
        var listening = Listen(pacer.OnEventAsync);
        return new Attachment(listening, pacer);
    }

    public async ValueTask PublishAsync(RoomEvent e)
    {
        if (redactor is not null) e = e with { Message = Redacted(e.Message, redactor) };
        foreach (var l in _listeners)
        {
            try { await l(e); }
            catch (Exception ex) { _log.LogWarning(ex, "A listener failed to take a {Type} message in #{Room}; the others still get it", e.Type, e.Message.Room); }
        }
    }

    private static RoomMessage Redacted(RoomMessage m, Redactor redactor)
    {
        var text = redactor.Redact(m.Text);
        var table = m.Table?.MapCells(redactor.Redact);
        return ReferenceEquals(text, m.Text) && table is null ? m : m with { Text = text, Table = table };
    }

    private void Remove(Func<RoomEvent, ValueTask> listener)
    {
        lock (_gate) _listeners = _listeners.Where(l => l != listener).ToArray();
    }

    private sealed class Attachment(IDisposable listening, EditPacer pacer) : IDisposable
    {
        public void Dispose()
        {
            listening.Dispose();
            pacer.Dispose();
        }
    }

    private sealed class Subscription(RoomFeed feed, Func<RoomEvent, ValueTask> listener) : IDisposable
    {
        public void Dispose() => feed.Remove(listener);
    }
}
