using System.Globalization;
using Capstan.Core.Commands;

namespace Capstan.Indicators.Dora;

/// <summary>A half-open time range [From, To) and how to say it ("in the last 30 days", "since 2026-11-01").</summary>
public sealed record Period(DateTimeOffset From, DateTimeOffset To, string Phrase)
{
    public TimeSpan Length => To - From;

    public static Period Last(TimeSpan length, DateTimeOffset now) => new(now - length, now, $"in the last {Words(length)}");

    public static string Words(TimeSpan t) =>
        t.TotalDays >= 1 && t.TotalDays == Math.Round(t.TotalDays) ? (t.TotalDays == 1 ? "day" : $"{t.TotalDays:0} days")
        : t.TotalHours >= 1 && t.TotalHours == Math.Round(t.TotalHours) ? (t.TotalHours == 1 ? "hour" : $"{t.TotalHours:0} hours")
        : DurationText.Format(t);

    /// <summary>
    /// Reads "last 30d", "since 2026-11-01", "since 2026-11-01 until 2026-11-15" from the words of a command,
    /// removing what it used; returns a sentence when the period is malformed.
    /// </summary>
    public static (Period? Period, string? Problem) Take(List<string> words, DateTimeOffset now, TimeSpan fallback)
    {
        TimeSpan? last = null;
        DateTimeOffset? since = null, until = null;
        for (var i = 0; i < words.Count; i++)
        {
            var w = words[i].ToLowerInvariant();
            if (w is not ("last" or "since" or "until")) continue;
            if (i + 1 >= words.Count) return (null, $"'{words[i]}' needs a {(w == "last" ? "duration such as 30d or 12w" : "date such as 2026-11-01")} after it");
            var value = words[i + 1];
            words.RemoveRange(i, 2);
            i--;
            if (w == "last")
            {
                if (!DurationText.TryParse(value, out var d) || d <= TimeSpan.Zero) return (null, $"'{value}' is not a period: write it like last 30d, last 12w or last 24h");
                if (d > TimeSpan.FromDays(3660)) return (null, $"'{value}' is longer than ten years; ask for a shorter period");
                last = d;
            }
            else
            {
                if (!DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
                    return (null, $"'{value}' is not a date: write it like {w} 2026-11-01 or {w} 2026-11-01T09:00Z");
                if (w == "since") since = t; else until = t;
            }
        }
        if (last is not null && since is not null) return (null, "say either 'last N' or 'since DATE', not both");
        var to = until ?? now;
        if (since is { } s)
        {
            if (s >= to) return (null, $"the period starts ({s:yyyy-MM-dd HH:mm}) after it ends ({to:yyyy-MM-dd HH:mm}); put since before until");
            return (new Period(s, to, $"since {Day(s)}" + (until is null ? "" : $" until {Day(to)}")), null);
        }
        var length = last ?? fallback;
        return (until is null ? Last(length, now) : new Period(to - length, to, $"in the {Words(length)} before {Day(to)}"), null);
    }

    private static string Day(DateTimeOffset t) => t.TimeOfDay == TimeSpan.Zero ? t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : t.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC";

    /// <summary>The weeks (Monday 00:00 UTC) the period overlaps, each cut to the period.</summary>
    public IReadOnlyList<Period> Weeks()
    {
        var weeks = new List<Period>();
        var d = From.UtcDateTime.Date;
        var start = new DateTimeOffset(d.AddDays(-(((int)d.DayOfWeek + 6) % 7)), TimeSpan.Zero);
        for (var w = start; w < To && weeks.Count < 600; w = w.AddDays(7))
        {
            var f = w < From ? From : w;
            var t = w.AddDays(7) > To ? To : w.AddDays(7);
            weeks.Add(new Period(f, t, $"in the week of {w:yyyy-MM-dd}"));
        }
        return weeks;
    }
}
