using Microsoft.Extensions.Logging;

namespace Capstan.Core.Logging;

/// <summary>The <c>logging:</c> of capstan.yaml: the level of Capstan's log, and levels for some categories.</summary>
public sealed record LoggingSettings(LogLevel Level, IReadOnlyDictionary<string, LogLevel> Categories)
{
    /// <summary>Without a <c>logging:</c> key: information and above.</summary>
    public static readonly LoggingSettings Default = new(LogLevel.Information, new Dictionary<string, LogLevel>());

    /// <summary>The words capstan.yaml and <c>--log-level</c> accept, and the level each names.</summary>
    public static readonly IReadOnlyDictionary<string, LogLevel> Words = new Dictionary<string, LogLevel>(StringComparer.Ordinal)
    {
        ["trace"] = LogLevel.Trace,
        ["debug"] = LogLevel.Debug,
        ["information"] = LogLevel.Information,
        ["warning"] = LogLevel.Warning,
        ["error"] = LogLevel.Error,
        ["critical"] = LogLevel.Critical,
        ["none"] = LogLevel.None,
    };

    /// <summary>The level a word names (case-insensitive; "info" and "warn" too), or null.</summary>
    public static LogLevel? Parse(string? word) => word?.Trim().ToLowerInvariant() switch
    {
        "info" => LogLevel.Information,
        "warn" => LogLevel.Warning,
        { } w when Words.TryGetValue(w, out var l) => l,
        _ => null,
    };
}
