using Capstan.Core.Config;
using Microsoft.Extensions.Logging;

namespace Capstan.Core.Logging;

/// <summary>
/// Which log messages are written now: the level from capstan.yaml (or <c>--log-level</c>, which wins) and the
/// levels it names for categories, the longest matching name deciding. Framework categories (Microsoft, System)
/// stay at warning unless a category names them. Changes take effect at once (a new configuration, no restart).
/// </summary>
public sealed class LogLevels
{
    private static readonly IReadOnlyDictionary<string, LogLevel> FrameworkDefaults =
        new Dictionary<string, LogLevel>(StringComparer.Ordinal) { ["Microsoft"] = LogLevel.Warning, ["System"] = LogLevel.Warning };

    private volatile Rules _rules;

    public LogLevels(LogLevel? flag = null)
    {
        Flag = flag;
        _rules = Build(LoggingSettings.Default, flag);
    }

    /// <summary>The level given with <c>--log-level</c>, which wins over capstan.yaml's <c>logging.level</c>.</summary>
    public LogLevel? Flag { get; }

    /// <summary>The level messages of categories no rule names are written at.</summary>
    public LogLevel Level => _rules.Level;

    /// <summary>Takes a configuration's <c>logging:</c> into force.</summary>
    public void Apply(LoggingSettings settings) => _rules = Build(settings, Flag);

    /// <summary>Takes the configuration's <c>logging:</c> into force now and at every reload.</summary>
    public void Follow(ConfigState config)
    {
        Apply(config.Current.Find<LoggingSettings>() ?? LoggingSettings.Default);
        config.Changed += s => Apply(s.Find<LoggingSettings>() ?? LoggingSettings.Default);
    }

    public bool Allows(string? category, LogLevel level) => level != LogLevel.None && level >= For(category);

    /// <summary>The lowest level written for a category.</summary>
    public LogLevel For(string? category)
    {
        var rules = _rules;
        if (string.IsNullOrEmpty(category)) return rules.Level;
        var best = -1;
        var found = rules.Level;
        foreach (var (name, level) in rules.Categories)
            if (name.Length > best && (category == name || category.StartsWith(name + ".", StringComparison.Ordinal)))
            {
                best = name.Length;
                found = level;
            }
        return found;
    }

    private static Rules Build(LoggingSettings settings, LogLevel? flag)
    {
        var categories = new Dictionary<string, LogLevel>(FrameworkDefaults, StringComparer.Ordinal);
        foreach (var (name, level) in settings.Categories) categories[name] = level;
        return new Rules(flag ?? settings.Level, categories);
    }

    private sealed record Rules(LogLevel Level, IReadOnlyDictionary<string, LogLevel> Categories);
}
