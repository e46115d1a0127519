using Capstan.Core.Config;
using YamlDotNet.RepresentationModel;

namespace Capstan.Core.Logging;

/// <summary>Reads <c>logging: { level: information, categories: { Capstan.Delivery: debug } }</c> with file:line errors.</summary>
public sealed class LoggingSection : IConfigSection
{
    public static readonly LoggingSection Instance = new();

    public IReadOnlyList<string> TopLevelKeys => ["logging"];

    public object Read(ConfigReading reading)
    {
        var y = reading.Main;
        var node = y.Get(y.Root as YamlMappingNode, "logging");
        var map = y.Map(node, "logging");
        if (map is null) return LoggingSettings.Default;
        y.OnlyKeys(map, "logging", "level", "categories");
        var level = Level(y, y.Get(map, "level"), "logging.level") ?? LoggingSettings.Default.Level;
        var categories = new Dictionary<string, Microsoft.Extensions.Logging.LogLevel>(StringComparer.Ordinal);
        foreach (var (name, keyNode, value) in y.Entries(y.Map(y.Get(map, "categories"), "logging.categories")))
        {
            if (name.Length == 0 || name.Any(c => !(char.IsLetterOrDigit(c) || c is '.' or '_')))
            {
                y.Fail(keyNode, $"logging category '{name}' must be a name such as Capstan.Delivery or Microsoft.AspNetCore");
                continue;
            }
            if (Level(y, value, $"logging.categories.{name}") is { } l) categories[name] = l;
        }
        return new LoggingSettings(level, categories);
    }

    private static Microsoft.Extensions.Logging.LogLevel? Level(YamlSource y, YamlNode? node, string what)
    {
        var text = y.Text(node, what);
        if (text is null) return null;
        if (LoggingSettings.Parse(text) is { } level) return level;
        var near = Commands.Suggest.Nearest(text.ToLowerInvariant(), LoggingSettings.Words.Keys.ToArray());
        y.Fail(node, $"{what} must be one of {string.Join(", ", LoggingSettings.Words.Keys)}, not '{text}'" + (near is null ? "" : $" — did you mean '{near}'?"));
        return null;
    }
}
