using System.Collections.Concurrent;

namespace Capstan.Core.Conversation;

/// <summary>The rooms Capstan knows: those declared in capstan.yaml and those opened at run time (incident rooms).</summary>
public sealed class RoomDirectory(Config.ConfigState config)
{
    private readonly ConcurrentDictionary<string, string> _opened = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyCollection<string> Names =>
        config.Current.Policy.Rooms.Keys.Concat(config.Current.Policy.Environments.Values.Select(e => e.Room).OfType<string>())
            .Concat(_opened.Keys).Distinct(StringComparer.OrdinalIgnoreCase).OrderBy(r => r, StringComparer.Ordinal).ToList();

    public string Topic(string room) =>
        config.Current.Policy.Rooms.TryGetValue(room, out var r) ? r.Topic : _opened.GetValueOrDefault(room, "");

    public bool Exists(string room) => Names.Contains(room, StringComparer.OrdinalIgnoreCase);

    /// <summary>Opens a room at run time (for example an incident's room).</summary>
    public void Open(string room, string topic) => _opened[room] = topic;
}
