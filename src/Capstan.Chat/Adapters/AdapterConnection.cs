using Capstan.Chat.Platforms;
using Capstan.Chat.Store;
using Capstan.Core.Config;
using Capstan.Core.Conversation;
using Capstan.Core.Ledger;
using Capstan.Core.Policy;
using Microsoft.Extensions.Logging;

namespace Capstan.Chat.Adapters;

/// <summary>
/// One adapter at work: its session loop (reconnect with backoff and jitter), what it receives (identity, room, thread,
/// addressing, deduplication, the conversation) and its <see cref="PlatformPlace"/> (Capstan's messages, in order per
/// room). The <see cref="AdapterHost"/> makes one per configured platform.
/// </summary>
internal sealed class AdapterConnection : IAsyncDisposable
{
    /// <summary>The first wait after a session ends; it doubles up to <see cref="LongestWait"/>, with ±25% jitter.</summary>
    public static readonly TimeSpan FirstWait = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan LongestWait = TimeSpan.FromMinutes(2);

    /// <summary>A session that stayed up this long counts as healthy: the next wait starts from <see cref="FirstWait"/> again.</summary>
    public static readonly TimeSpan Healthy = TimeSpan.FromMinutes(1);

    private readonly Lock _gate = new();
    private readonly ILogger _log;
    private readonly TimeProvider _clock;
    private readonly ConfigState _config;
    private readonly RoomDirectory _rooms;
    private readonly Conversation _conversation;
    private readonly Redactor _redactor;
    private AdapterStatus _status;
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _received, _answered, _ignored, _duplicates;
    private Dictionary<string, PlatformChannel>? _opened;
    private readonly Dictionary<string, Task> _opening = new(StringComparer.OrdinalIgnoreCase);
    private readonly CancellationTokenSource _closing = new();

    public AdapterConnection(IChatAdapter adapter, PlatformSettings settings, IChatStore store, ConfigState config, RoomDirectory rooms,
        Conversation conversation, Redactor redactor, TimeProvider clock, ILoggerFactory logs)
    {
        Adapter = adapter;
        Settings = settings;
        Store = store;
        _config = config;
        _rooms = rooms;
        _conversation = conversation;
        _redactor = redactor;
        _clock = clock;
        _log = logs.CreateLogger("Capstan.Chat." + settings.Platform);
        _status = new AdapterStatus(settings.Platform, AdapterState.Starting, clock.GetUtcNow(), null, null, null, 0, 0, 0, 0, 0, 0, 0);
        Place = new PlatformPlace(this, clock, _log);
    }

    public IChatAdapter Adapter { get; }
    public PlatformSettings Settings { get; }
    public IChatStore Store { get; }
    public PlatformPlace Place { get; }
    public string Platform => Settings.Platform;

    /// <summary>Completes while the adapter can send; replaced by a new one when a session ends.</summary>
    public Task WhenConnected { get { lock (_gate) return _connected.Task; } }

    public AdapterStatus Status
    {
        get
        {
            lock (_gate)
                return _status with { Received = _received, Answered = _answered, Ignored = _ignored, Duplicates = _duplicates, Sent = Place.Sent, Queued = Place.Queued };
        }
    }

    /// <summary>Runs sessions until <paramref name="ct"/> is cancelled, waiting longer after each one that failed quickly.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            Set(AdapterState.Connecting, null);
            var started = _clock.GetUtcNow();
            string why;
            try
            {
                await Adapter.RunAsync(new AdapterSession(this, Settings, _log, _clock), ct);
                why = "the platform ended the session";
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                why = _redactor.Redact(ex.Message);
                _log.LogWarning(ex, "The {Platform} session ended: {Reason}", Platform, why);
            }
            Disconnected(why);
            failures = _clock.GetUtcNow() - started >= Healthy ? 1 : failures + 1;
            var wait = Backoff(failures);
            Set(AdapterState.Waiting, $"reconnecting in {wait.TotalSeconds:0.#} s");
            try { await Task.Delay(wait, _clock, ct); }
            catch (OperationCanceledException) { break; }
        }
        Disconnected(null);
        Set(AdapterState.Stopped, null);
    }

    /// <summary>The wait before reconnect number <paramref name="failures"/>: doubling from one second to two minutes, ±25% at random so many servers do not return at once.</summary>
    public static TimeSpan Backoff(int failures)
    {
        var seconds = Math.Min(LongestWait.TotalSeconds, FirstWait.TotalSeconds * Math.Pow(2, Math.Max(0, failures - 1)));
        return TimeSpan.FromSeconds(seconds * (0.75 + Random.Shared.NextDouble() * 0.5));
    }

    internal void MarkConnected(string? detail)
    {
        lock (_gate)
        {
            _status = _status with { State = AdapterState.Connected, Since = _clock.GetUtcNow(), Detail = detail };
            _connected.TrySetResult();
        }
        _log.LogInformation("Connected to {Platform}{Detail}", Platform, detail is null ? "" : ": " + detail);
    }

    private void Disconnected(string? why)
    {
        lock (_gate)
        {
            var wasConnected = _connected.Task.IsCompleted;
            if (wasConnected) _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
            if (why is not null)
                _status = _status with { LastError = why, LastErrorAt = _clock.GetUtcNow(), Reconnects = _status.Reconnects + 1 };
        }
    }

    private void Set(AdapterState state, string? detail)
    {
        lock (_gate) _status = _status with { State = state, Since = _clock.GetUtcNow(), Detail = detail };
    }

    /// <summary>Records an error that did not end the session (a message the platform refused), for <c>capstan adapters</c>.</summary>
    internal void Problem(string what)
    {
        lock (_gate) _status = _status with { LastError = _redactor.Redact(what), LastErrorAt = _clock.GetUtcNow() };
    }

    public Actor Identify(ChatSender sender) =>
        _config.Current.Policy.Identify(Platform, sender.Handle, Platform, sender.Matches);

    public async Task ReceiveAsync(ChatInbound m, CancellationToken ct)
    {
        if (m.Sender.IsSelf || m.Sender.IsBot)
        {
            Interlocked.Increment(ref _ignored);
            return;
        }
        if (!await Store.ClaimDeliveryAsync(Platform, m.DeliveryId, ct))
        {
            Interlocked.Increment(ref _duplicates);
            _log.LogDebug("{Platform} delivered {Delivery} again; it was answered already", Platform, m.DeliveryId);
            return;
        }
        Interlocked.Increment(ref _received);
        var actor = Identify(m.Sender);
        string room;
        if (m.Direct)
        {
            room = RoomDirectory.DirectRoom(actor.RoomKey);
            if (!_rooms.Exists(room)) _rooms.Open(room, $"Capstan's direct messages with {actor.Display}");
            var known = await OpenedAsync(ct);
            if (!known.TryGetValue(room, out var was) || was.Channel != m.Channel) await SaveChannelAsync(new PlatformChannel(room, m.Channel, true), ct);
        }
        else if (await RoomOfAsync(m.Channel, ct) is { } mapped) room = mapped;
        else
        {
            Interlocked.Increment(ref _ignored);
            _log.LogDebug("A message in {Channel} on {Platform} was not taken: that channel is not mapped to a Capstan room under platforms.{Platform}.rooms", m.Channel, Platform, Platform);
            return;
        }
        var (addressed, text) = Addressing.Read(m.Text, Adapter.SelfNames);
        var thread = m.ThreadRef is { } t ? await Store.CapstanIdAsync(Platform, t, ct) : null;
        var id = RoomMessage.NewId();
        // Mapped before the conversation runs: its replies are delivered while it runs and must find their thread.
        await Store.MapMessageAsync(Platform, id, new Store.PlatformMessage(m.Channel, m.MessageRef), ct);
        var result = await _conversation.HandleAsync(new IncomingMessage(Platform, m.Sender.Handle, room, addressed ? text : m.Text, thread,
            addressed || m.Addressed || m.Direct, Via: Platform, Id: id, Matches: m.Sender.Matches), ct);
        if (result.Replies.Count > 0) Interlocked.Increment(ref _answered);
    }

    /// <summary>The Capstan room of a platform channel: from the configuration, else one opened at run time (an incident's channel).</summary>
    public async Task<string?> RoomOfAsync(string channel, CancellationToken ct)
    {
        if (Settings.RoomOf(channel) is { } room) return room;
        var opened = await OpenedAsync(ct);
        return opened.Values.FirstOrDefault(c => !c.Direct && string.Equals(c.Channel, channel, StringComparison.OrdinalIgnoreCase))?.Room;
    }

    /// <summary>Channels opened at run time (direct conversations, incident channels): read from the store once, then kept here as they are saved.</summary>
    private async Task<Dictionary<string, PlatformChannel>> OpenedAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref _opened) is { } known) return known;
        var loaded = (await Store.ChannelsAsync(Platform, ct)).ToDictionary(c => c.Room, StringComparer.OrdinalIgnoreCase);
        lock (_gate) return _opened ??= loaded;
    }

    /// <summary>Remembers a room's channel on this platform, durably and here.</summary>
    public async Task SaveChannelAsync(PlatformChannel channel, CancellationToken ct)
    {
        await Store.SaveChannelAsync(Platform, channel, ct);
        var known = await OpenedAsync(ct);
        lock (_gate) _opened = new Dictionary<string, PlatformChannel>(known, StringComparer.OrdinalIgnoreCase) { [channel.Room] = channel };
    }

    /// <summary>Where a room's messages go on this platform, or null when the room is not here.</summary>
    public async Task<ChatDestination?> DestinationAsync(string room, CancellationToken ct) => (await PlaceOfAsync(room, ct))?.To;

    /// <summary>
    /// Where a room's messages go on this platform and the prefix they carry there (<c>[#inc-3]</c> for a room opened at run
    /// time whose messages are carried in the channel of the room it was opened within), or null when the room is not here.
    /// </summary>
    public async Task<(ChatDestination To, string? Prefix)?> PlaceOfAsync(string room, CancellationToken ct)
    {
        if (Settings.Rooms.TryGetValue(room, out var channel)) return (new ChatDestination(channel), null);
        Task? pending;
        lock (_gate) pending = _opening.GetValueOrDefault(room);
        if (pending is not null) await pending.WaitAsync(ct);
        if ((await OpenedAsync(ct)).TryGetValue(room, out var opened)) return (new ChatDestination(opened.Channel, opened.Direct), null);
        // A person's direct messages (pages, handoffs) go to their handle here, if they have one.
        if (RoomDirectory.PrivateTo(room) is { } person)
            return _config.Current.Policy.People.TryGetValue(person, out var p) && p.Handles.TryGetValue(Platform, out var handle)
                ? (new ChatDestination(handle, Direct: true), null) : null;
        // A room opened at run time that has no channel here: said in the channel of the room it was opened within, named.
        if (_rooms.OpenedRoom(room)?.Within is { } within && !string.Equals(within, room, StringComparison.OrdinalIgnoreCase)
            && Settings.Rooms.TryGetValue(within, out var carrier))
            return (new ChatDestination(carrier), $"[#{room}] ");
        return null;
    }

    /// <summary>
    /// Makes a channel for a room opened at run time, when the platform can (<see cref="IChatRoomOpener"/>) and it has none
    /// yet. Messages for the room wait for it (see <see cref="PlaceOfAsync"/>); when it fails they go where the platform
    /// cannot open channels.
    /// </summary>
    public void OpenChannel(OpenedRoom room)
    {
        if (Adapter is not IChatRoomOpener opener || RoomDirectory.PrivateTo(room.Room) is not null || Settings.Rooms.ContainsKey(room.Room)) return;
        lock (_gate)
        {
            if (_opening.ContainsKey(room.Room)) return;
            var opening = OpenChannelAsync(opener, room, _closing.Token);
            if (!opening.IsCompleted) _opening[room.Room] = opening;
        }
    }

    private async Task OpenChannelAsync(IChatRoomOpener opener, OpenedRoom room, CancellationToken ct)
    {
        try
        {
            if ((await OpenedAsync(ct)).ContainsKey(room.Room)) return;
            await WhenConnected.WaitAsync(ct);
            var channel = await opener.OpenChannelAsync(room.Room, room.Topic, ct);
            await SaveChannelAsync(new PlatformChannel(room.Room, channel, false), ct);
            _log.LogInformation("Opened {Channel} on {Platform} for #{Room}", channel, Platform, room.Room);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // stopping: the room is opened again when the adapter starts next
        }
        catch (Exception ex)
        {
            _log.LogWarning(ex, "{Platform} could not open a channel for #{Room}; its messages go to the channel of #{Within}", Platform, room.Room, room.Within);
            Problem($"no channel could be opened for #{room.Room}: {ex.Message}");
        }
        finally
        {
            lock (_gate) _opening.Remove(room.Room);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync();
        Task[] opening;
        lock (_gate) opening = [.. _opening.Values];
        await Task.WhenAll(opening);
        await Place.DisposeAsync();
        _closing.Dispose();
    }
}
