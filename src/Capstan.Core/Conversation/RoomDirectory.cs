using System.Collections.Concurrent;

namespace Capstan.Core.Conversation;

/// <summary>The rooms Capstan knows: those declared in capstan.yaml and those opened at run time (incident rooms).</summary>
public sealed class RoomDirectory(Config.ConfigState config)
{
    private readonly ConcurrentDictionary<string, OpenedRoom> _opened = new(StringComparer.OrdinalIgnoreCase);
    private int _openings;
    private volatile Known? _known;

    /// <summary>Every room, sorted; listed again only when the configuration or the opened rooms change (it is read for every message).</summary>
    public IReadOnlyCollection<string> Names => Current().Sorted;

    private Known Current()
    {
        var snapshot = config.Current;
        var openings = Volatile.Read(ref _openings);
        if (_known is { } k && k.Snapshot == snapshot && k.Openings == openings) return k;
        var sorted = snapshot.Policy.Rooms.Keys.Concat(snapshot.Policy.Environments.Values.Select(e => e.Room).OfType<string>())
            .Concat(_opened.Keys).Distinct(StringComparer.OrdinalIgnoreCase).OrderBy(r => r, StringComparer.Ordinal).ToList();
        var known = new Known(snapshot, openings, sorted, new HashSet<string>(sorted, StringComparer.OrdinalIgnoreCase));
        _known = known;
        return known;
    }

    private sealed record Known(Config.ConfigSnapshot Snapshot, int Openings, IReadOnlyList<string> Sorted, HashSet<string> Set);

    public string Topic(string room) =>
        config.Current.Policy.Rooms.TryGetValue(room, out var r) ? r.Topic : _opened.TryGetValue(room, out var o) ? o.Topic : "";

    public bool Exists(string room) => Current().Set.Contains(room);

    /// <summary>
    /// Opens a room at run time (for example an incident's room). <paramref name="within"/> names the room whose channel
    /// carries this room's messages on chat platforms that cannot open a channel for it (an incident's within the incidents' room).
    /// </summary>
    public void Open(string room, string topic, string? within = null)
    {
        var opened = new OpenedRoom(room, topic, within);
        var isNew = _opened.TryGetValue(room, out var was) is false || was != opened;
        _opened[room] = opened;
        Interlocked.Increment(ref _openings); // after the room is in: a list made from this count includes it
        if (isNew) Opened?.Invoke(opened);
    }

    /// <summary>Raised when a room is opened at run time (or its topic changes), after it is in the directory: chat platforms open a channel for it.</summary>
    public event Action<OpenedRoom>? Opened;

    /// <summary>The rooms opened at run time so far.</summary>
    public IReadOnlyList<OpenedRoom> OpenedRooms => _opened.Values.ToList();

    /// <summary>The room opened at run time under this name, if any.</summary>
    public OpenedRoom? OpenedRoom(string room) => _opened.GetValueOrDefault(room);

    /// <summary>The first part of a person's direct-message room: Capstan's messages to that person alone.</summary>
    public const string DirectPrefix = "dm-";

    /// <summary>A person's direct-message room (pages, handoffs, reminders), readable only by that person.</summary>
    public static string DirectRoom(string person) => DirectPrefix + person.ToLowerInvariant();

    /// <summary>The person a room is private to (a direct-message room), or null for a room everyone may read.</summary>
    public static string? PrivateTo(string room) =>
        room.StartsWith(DirectPrefix, StringComparison.OrdinalIgnoreCase) && room.Length > DirectPrefix.Length ? room[DirectPrefix.Length..] : null;

    /// <summary>Whether a person may read and speak in a room: every room but other people's direct messages.</summary>
    public static bool MayEnter(string room, string? person) =>
        PrivateTo(room) is not { } owner || (person is not null && string.Equals(owner, person, StringComparison.OrdinalIgnoreCase));

    /// <summary>The rooms a person may enter.</summary>
    public IReadOnlyList<string> NamesFor(string? person) => Names.Where(r => MayEnter(r, person)).ToList();

    /// <summary>Why a person may not enter a room, said to them.</summary>
    public static string WhyPrivate(string room) =>
        $"#{room} holds Capstan's direct messages to {PrivateTo(room)}; only {PrivateTo(room)} can read it or speak in it.";
}

/// <summary>A room opened at run time: its topic and the room whose channel carries it where a platform cannot open one.</summary>
public sealed record OpenedRoom(string Room, string Topic, string? Within);
