using Capstan.Core.Config;

namespace Capstan.Chat.Platforms;

/// <summary>The platforms Capstan connects to, read from <c>platforms:</c> in capstan.yaml.</summary>
public sealed record PlatformsConfig(IReadOnlyList<PlatformSettings> Platforms)
{
    public static readonly PlatformsConfig None = new([]);
}

/// <summary>
/// Reads <c>platforms:</c>: one entry per platform (a key of <see cref="ChatPlatforms.All"/>), each with <c>rooms:</c>
/// (Capstan room → the platform's channel) and its own keys. Unknown platforms, unknown keys, rooms that are not declared
/// and one channel mapped to two rooms are reported with file:line.
/// </summary>
public sealed class PlatformsSection(IReadOnlyList<IChatPlatform> platforms) : IConfigSection
{
    public IReadOnlyList<string> TopLevelKeys => ["platforms"];

    public object Read(ConfigReading reading)
    {
        var y = reading.Main;
        var root = y.Map(y.Root, "capstan.yaml");
        var node = y.Get(root, "platforms");
        if (node is null || YamlSource.IsNull(node)) return PlatformsConfig.None;
        var map = y.Map(node, "platforms");
        var rooms = reading.Policy.Rooms.Keys.Concat(reading.Policy.Environments.Values.Select(e => e.Room).OfType<string>()).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var result = new List<PlatformSettings>();
        foreach (var (name, keyNode, value) in y.Entries(map))
        {
            var platform = platforms.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
            if (platform is null)
            {
                y.Fail(keyNode, Core.Commands.ArgumentKind.Unknown("platform", name, platforms.Select(p => p.Name)));
                continue;
            }
            var entry = y.Map(value, $"platforms.{name}");
            y.OnlyKeys(entry, $"platforms.{name}", [.. platform.Keys, "rooms"]);
            var mapped = ReadRooms(y, entry, platform.Name, rooms);
            var settings = platform.Read(new PlatformReading(y, entry, platform.Name, mapped));
            result.Add(settings);
        }
        return new PlatformsConfig(result);
    }

    private static Dictionary<string, string> ReadRooms(YamlSource y, YamlDotNet.RepresentationModel.YamlMappingNode? entry, string platform, HashSet<string> rooms)
    {
        var mapped = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var seen = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (room, keyNode, channelNode) in y.Entries(y.Map(y.Get(entry, "rooms"), $"platforms.{platform}.rooms")))
        {
            var name = room.TrimStart('#').ToLowerInvariant();
            if (!rooms.Contains(name)) y.Fail(keyNode, Core.Commands.ArgumentKind.Unknown("room", name, rooms) + "; declare it under rooms: first");
            var channel = y.Text(channelNode, $"platforms.{platform}.rooms.{name}");
            if (string.IsNullOrWhiteSpace(channel)) { y.Fail(channelNode, $"platforms.{platform}.rooms.{name} needs the platform's channel"); continue; }
            if (seen.TryGetValue(channel, out var other)) { y.Fail(channelNode, $"{channel} is mapped to both #{other} and #{name} on {platform}; map each channel to one room"); continue; }
            seen[channel] = name;
            mapped[name] = channel;
        }
        return mapped;
    }
}
