using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Capstan.Core.Conversation;

/// <summary>
/// Delivers a room's events to one <see cref="IChatPlace"/> at the pace it declared: posts at once; edits of
/// a message at most once per interval, the ones in between merged so the newest state is always delivered
/// (at the latest one interval after it was made).
/// </summary>
public sealed class EditPacer : IDisposable
{
    /// <summary>Beyond this many tracked messages, idle ones are forgotten.</summary>
    private const int SweepAbove = 256;

    private readonly IChatPlace _place;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _interval;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Slot> _slots = new(StringComparer.Ordinal);
    private readonly ILogger _log;
    private bool _disposed;

    public EditPacer(IChatPlace place, TimeProvider clock, ILogger? log = null)
    {
        _log = log ?? NullLogger.Instance;
        _place = place;
        _clock = clock;
        _interval = place.Edits.Interval;
    }

    /// <summary>The feed listener: pass this to <see cref="RoomFeed.Listen"/>.</summary>
    public async ValueTask OnEventAsync(RoomEvent e)
    {
        var id = e.Message.Id;
        if (e.Type != RoomEvent.Edited)
        {
            Slot posted;
            lock (_gate)
            {
                if (_disposed) return;
                if (_slots.Count > SweepAbove) Sweep();
                posted = _slots[id] = new Slot { Last = _clock.GetUtcNow(), Busy = true };
            }
            await DeliverAsync(e);
            lock (_gate) posted.Busy = false;
            await PumpAsync(id, posted);
            return;
        }
        Slot slot;
        lock (_gate)
        {
            if (_disposed) return;
            if (!_slots.TryGetValue(id, out slot!)) slot = _slots[id] = new Slot { Last = DateTimeOffset.MinValue };
            slot.Pending = e; // replaces an edit not yet delivered: only the newest state matters
        }
        await PumpAsync(id, slot);
    }

    /// <summary>Delivers the slot's pending edit now if its interval has passed, otherwise arms a timer for when it will.</summary>
    private async Task PumpAsync(string id, Slot slot)
    {
        while (true)
        {
            RoomEvent next;
            lock (_gate)
            {
                if (_disposed || slot.Busy || slot.Pending is null || slot.Timer is not null) return;
                var now = _clock.GetUtcNow();
                var wait = slot.Last == DateTimeOffset.MinValue ? TimeSpan.Zero : slot.Last + _interval - now;
                if (wait > TimeSpan.Zero)
                {
                    slot.Timer = _clock.CreateTimer(_ => _ = FireAsync(id, slot), null, wait, Timeout.InfiniteTimeSpan);
                    return;
                }
                next = slot.Pending;
                slot.Pending = null;
                slot.Busy = true;
                slot.Last = now;
            }
            await DeliverAsync(next);
            lock (_gate) slot.Busy = false;
        }
    }

    private Task FireAsync(string id, Slot slot)
    {
        lock (_gate)
        {
            slot.Timer?.Dispose();
            slot.Timer = null;
        }
        return PumpAsync(id, slot);
    }

    private async ValueTask DeliverAsync(RoomEvent e)
    {
        try { await _place.DeliverAsync(e); }
        catch (Exception ex) { _log.LogWarning(ex, "{Place} could not show a {Type} message in #{Room}; the next update is still sent", _place.GetType().Name, e.Type, e.Message.Room); }
    }

    /// <summary>Forgets messages with nothing pending whose interval has passed (called under the lock).</summary>
    private void Sweep()
    {
        var now = _clock.GetUtcNow();
        foreach (var (id, s) in _slots.Where(p => !p.Value.Busy && p.Value.Pending is null && p.Value.Timer is null && now - p.Value.Last >= _interval).ToList())
            _slots.Remove(id);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            foreach (var s in _slots.Values) s.Timer?.Dispose();
            _slots.Clear();
        }
    }

    private sealed class Slot
    {
        public DateTimeOffset Last;
        public RoomEvent? Pending;
        public bool Busy;
        public ITimer? Timer;
    }
}
