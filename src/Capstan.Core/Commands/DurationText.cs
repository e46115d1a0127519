using System.Globalization;
using System.Text.RegularExpressions;

namespace Capstan.Core.Commands;

/// <summary>Durations as people type them: 90s, 5m, 2h, 1h30m, 3d, 1w.</summary>
public static partial class DurationText
{
    [GeneratedRegex(@"^(?:(\d+)\s*(w|d|h|m|s|ms))+$", RegexOptions.IgnoreCase)]
    private static partial Regex Whole();

    [GeneratedRegex(@"(\d+)\s*(ms|w|d|h|m|s)", RegexOptions.IgnoreCase)]
    private static partial Regex Part();

    public static bool TryParse(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        text = text.Trim();
        if (text.Length is 0 or > 32 || !Whole().IsMatch(text)) return false;
        foreach (Match m in Part().Matches(text))
        {
            if (!long.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > 100_000) return false;
            value += m.Groups[2].Value.ToLowerInvariant() switch
            {
                "w" => TimeSpan.FromDays(7 * n),
                "d" => TimeSpan.FromDays(n),
                "h" => TimeSpan.FromHours(n),
                "m" => TimeSpan.FromMinutes(n),
                "s" => TimeSpan.FromSeconds(n),
                _ => TimeSpan.FromMilliseconds(n),
            };
        }
        return true;
    }

    public static string Format(TimeSpan t) =>
        t.TotalDays >= 1 ? $"{(int)t.TotalDays}d{(t.Hours > 0 ? $"{t.Hours}h" : "")}"
        : t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{(t.Minutes > 0 ? $"{t.Minutes}m" : "")}"
        : t.TotalMinutes >= 1 ? $"{(int)t.TotalMinutes}m{(t.Seconds > 0 ? $"{t.Seconds}s" : "")}"
        : t.TotalSeconds >= 1 ? $"{(int)t.TotalSeconds}s" : $"{(int)t.TotalMilliseconds}ms";
}
