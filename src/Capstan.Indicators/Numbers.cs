using System.Globalization;

namespace Capstan.Indicators;

/// <summary>How figures read in chat: few digits, units, durations in the largest sensible unit.</summary>
public static class Numbers
{
    public static string Format(double v) =>
        Math.Abs(v) >= 100 || v == Math.Round(v) ? Math.Round(v).ToString("0", CultureInfo.InvariantCulture)
        : Math.Abs(v) >= 10 ? v.ToString("0.#", CultureInfo.InvariantCulture) : v.ToString("0.##", CultureInfo.InvariantCulture);

    public static string Unit(string unit) => unit.Length == 0 ? "" : unit is "%" ? "%" : " " + unit;

    public static string Percent(double ratio) => (ratio * 100).ToString(ratio * 100 == Math.Round(ratio * 100) ? "0" : "0.#", CultureInfo.InvariantCulture) + "%";

    /// <summary>3d 4h, 5h 12m, 42m, 30s.</summary>
    public static string Duration(TimeSpan t)
    {
        if (t < TimeSpan.Zero) t = TimeSpan.Zero;
        if (t.TotalDays >= 1) return $"{(int)t.TotalDays}d" + (t.Hours > 0 ? $" {t.Hours}h" : "");
        if (t.TotalHours >= 1) return $"{(int)t.TotalHours}h" + (t.Minutes > 0 ? $" {t.Minutes}m" : "");
        if (t.TotalMinutes >= 1) return $"{(int)t.TotalMinutes}m";
        return $"{(int)t.TotalSeconds}s";
    }
}
