using System.Collections.Concurrent;
using System.Threading.Channels;
using Capstan.Chat.Store;
using Capstan.Chat.Text;
using Capstan.Core.Conversation;
using Microsoft.Extensions.Logging;

namespace Capstan.Chat.Adapters;

/// <summary>
/// Capstan's messages on one platform: every room the platform has gets a queue, sent in order while the adapter is
/// connected and kept while it is not (nothing lost, order kept per room). Posts become one or more platform messages;
/// edits change the first one in place where the platform can edit, else are posted anew at the paced interval. People's
/// messages from other places are relayed with their author; those that came from this platform are not echoed back.
/// </summary>
internal sealed class PlatformPlace(AdapterConnection connection, TimeProvider clock, ILogger log) : IChatPlace, IAsyncDisposable
{
    private AdapterConnection Connection => connection;
    private TimeProvider Clock => clock;
    private ILogger Log => log;

    /// <summary>How long a failed send waits before it is tried again (doubling, at most a minute), the message still at the head of its queue.</summary>
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, RoomQueue> _queues = new(StringComparer.OrdinalIgnoreCase);
    private readonly CancellationTokenSource _stopping = new();
    private long _sent;
    private int _queued;

    public string Name => connection.Platform;
    public EditLimit Edits => connection.Adapter.Edits;
    public long Sent => Interlocked.Read(ref _sent);
    public int Queued => Volatile.Read(ref _queued);

    /// <summary>Where the whole of a cut reply can be read (the web chat's room), when the server knows its address.</summary>
    public Func<string, string?> LinkFor { get; set; } = _ => null;

    public ValueTask DeliverAsync(RoomEvent e)
    {
        var m = e.Message;
        if (m.AuthorKind != AuthorKind.Capstan && string.Equals(m.Platform, connection.Platform, StringComparison.OrdinalIgnoreCase))
            return ValueTask.CompletedTask; // said here: the platform shows it already
        var queue = _queues.GetOrAdd(m.Room, room => new RoomQueue(this, room));
        Interlocked.Increment(ref _queued);
        queue.Add(e);
        return ValueTask.CompletedTask;
    }

    private async Task SendAsync(string room, RoomEvent e, CancellationToken ct)
    {
        if (await connection.PlaceOfAsync(room, ct) is not var (to, prefix)) return;
        var m = prefix is null ? e.Message : e.Message with { Text = prefix + e.Message.Text };
        var markup = connection.Adapter.Markup;
        var platform = connection.Platform;
        var relayed = m.AuthorKind != AuthorKind.Capstan;
        if (e.Type == RoomEvent.Edited && connection.Adapter.Edits.InPlace && await connection.Store.PlatformMessageAsync(platform, m.Id, ct) is { } posted)
        {
            var parts = ChatRendering.Render(m, markup, LinkFor(room), relayed);
            var text = parts.Count == 1 ? parts[0] : ChatRendering.Split(string.Join("\n", parts), new OnePart(markup), LinkFor(room))[0];
            var at = to with { ThreadRef = null, Channel = posted.Channel };
            if (connection.Adapter is IRichChatAdapter rich) await rich.EditAsync(at, posted.Ref, text, m, ct);
            else await connection.Adapter.EditAsync(at, posted.Ref, text, ct);
            Interlocked.Increment(ref _sent);
            return;
        }
        // A reply goes in its question's thread where the platform has threads; in a direct conversation only on the platform it happened on.
        string? threadRef = null;
        if (m.ThreadId is { } thread && thread != m.Id)
        {
            var root = await connection.Store.PlatformMessageAsync(platform, thread, ct);
            if (root is null && to.Direct) return;
            threadRef = root?.Ref;
        }
        string? first = null;
        var rendered = ChatRendering.Render(m, markup, LinkFor(room), relayed);
        for (var i = 0; i < rendered.Count; i++)
        {
            var part = rendered[i];
            var at = to with { ThreadRef = threadRef, Key = $"{m.Id}.{i}" };
            var id = connection.Adapter is IRichChatAdapter rich
                ? await rich.PostAsync(at, part, m, i == rendered.Count - 1, ct)
                : await connection.Adapter.PostAsync(at, part, ct);
            Interlocked.Increment(ref _sent);
            if (first is null)
            {
                first = id;
                if (e.Type == RoomEvent.Posted) await connection.Store.MapMessageAsync(platform, m.Id, new PlatformMessage(to.Channel, id), ct);
            }
        }
    }

    /// <summary>A platform's markup allowing a single part: an edit replaces one message, so a long one is cut.</summary>
    private sealed class OnePart(ChatMarkup inner) : ChatMarkup
    {
        public override int MaxLength => inner.MaxLength;
        public override int MaxParts => 1;
        public override int Measure(string text) => inner.Measure(text);
        public override string Escape(string text) => inner.Escape(text);
        public override string CodeBlock(string text) => inner.CodeBlock(text);
        public override string Cut(string? link) => inner.Cut(link);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        foreach (var q in _queues.Values) await q.StopAsync();
        _stopping.Dispose();
    }

    /// <summary>One room's messages, sent one at a time in the order they were made.</summary>
    private sealed class RoomQueue
    {
        private readonly Channel<RoomEvent> _items = Channel.CreateUnbounded<RoomEvent>(new UnboundedChannelOptions { SingleReader = true });
        private readonly Task _pump;
        private readonly PlatformPlace _place;
        private readonly string _room;

        public RoomQueue(PlatformPlace place, string room)
        {
            _place = place;
            _room = room;
            _pump = Task.Run(() => PumpAsync(place._stopping.Token));
        }

        public void Add(RoomEvent e) => _items.Writer.TryWrite(e);

        public async Task StopAsync()
        {
            _items.Writer.TryComplete();
            try { await _pump; }
            catch (OperationCanceledException) { /* stopping */ }
        }

        private async Task PumpAsync(CancellationToken ct)
        {
            await foreach (var e in _items.Reader.ReadAllAsync(ct))
            {
                var wait = FirstRetry;
                while (true)
                {
                    await _place.Connection.WhenConnected.WaitAsync(ct);
                    try
                    {
                        await _place.SendAsync(_room, e, ct);
                        break;
                    }
                    catch (ChatDeliveryRefused ex)
                    {
                        _place.Log.LogWarning(ex, "{Platform} refused a message for #{Room}; it is not sent: {Reason}", _place.Name, _room, ex.Message);
                        _place.Connection.Problem($"a message for #{_room} was refused: {ex.Message}");
                        break;
                    }
                    catch (OperationCanceledException) when (ct.IsCancellationRequested)
                    {
                        throw;
                    }
                    catch (Exception ex)
                    {
                        _place.Log.LogWarning(ex, "Sending a message for #{Room} to {Platform} failed; trying again in {Wait}", _room, _place.Name, wait);
                        _place.Connection.Problem($"sending to #{_room} failed: {ex.Message}");
                        await Task.Delay(wait, _place.Clock, ct);
                        wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, TimeSpan.FromMinutes(1).Ticks));
                    }
                }
                Interlocked.Decrement(ref _place._queued);
            }
        }
    }
}
