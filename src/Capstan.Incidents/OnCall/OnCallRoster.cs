using Capstan.Incidents.Config;
using Capstan.Incidents.Store;

namespace Capstan.Incidents.OnCall;

/// <summary>Who answers for a team at an instant, and why: an override, a rotation, or the fallback during a gap.</summary>
public sealed record OnCallAnswer(string Team, string? Person, string Why, bool Gap, DateTimeOffset? Until)
{
    /// <summary>Nobody at all: a gap and no fallback.</summary>
    public bool Nobody => Person is null;
}

/// <summary>Works out who is on call from the schedules in capstan.yaml and the overrides people set from chat.</summary>
public sealed class OnCallRoster(IIncidentStore store)
{
    public async Task<OnCallAnswer> WhoAsync(Schedule schedule, DateTimeOffset at, CancellationToken ct)
    {
        var over = (await store.OverridesAsync(at, ct)).FirstOrDefault(o => string.Equals(o.Team, schedule.Team, StringComparison.OrdinalIgnoreCase));
        if (over is not null)
            return new(schedule.Team, over.Person, $"override by {over.By} until {Local(schedule, over.Until)}", false, over.Until);
        return Scheduled(schedule, at);
    }

    /// <summary>The rotation's answer, ignoring overrides.</summary>
    public static OnCallAnswer Scheduled(Schedule schedule, DateTimeOffset at)
    {
        var local = TimeZoneInfo.ConvertTime(at, schedule.TimeZone).DateTime;
        foreach (var r in schedule.Rotations)
        {
            if (!r.Covers(local)) continue;
            var startUtc = StartUtc(schedule, r);
            var turns = startUtc >= at.UtcDateTime ? 0 : r.Handoff.GetOccurrences(startUtc, at.UtcDateTime, schedule.TimeZone, fromInclusive: false, toInclusive: true).Count();
            var person = r.People[turns % r.People.Count];
            var next = r.Handoff.GetNextOccurrence(at.UtcDateTime, schedule.TimeZone);
            return new(schedule.Team, person, $"rotation {string.Join(" → ", r.People)} (hands over {r.HandoffText} {schedule.TimeZone.Id})", false,
                next is { } n ? new DateTimeOffset(n, TimeSpan.Zero) : null);
        }
        var covered = NextCovered(schedule, at);
        var gap = covered is { } c ? $"a gap in the schedule until {Local(schedule, c)}" : "a gap in the schedule (no rotation covers any time soon)";
        return schedule.Fallback is { } f
            ? new(schedule.Team, f, gap + $"; the fallback {f} answers", true, covered)
            : new(schedule.Team, null, gap + " and no fallback is set", true, covered);
    }

    private static DateTime StartUtc(Schedule s, Rotation r) =>
        r.Start == DateTime.MinValue ? DateTime.MinValue.AddYears(2000) : TimeZoneInfo.ConvertTimeToUtc(DateTime.SpecifyKind(r.Start, DateTimeKind.Unspecified), s.TimeZone);

    /// <summary>The next quarter hour (within a week) when some rotation covers the team.</summary>
    private static DateTimeOffset? NextCovered(Schedule s, DateTimeOffset at)
    {
        var t = at.AddTicks(-(at.UtcTicks % TimeSpan.FromMinutes(15).Ticks));
        for (var i = 1; i <= 7 * 24 * 4; i++)
        {
            var probe = t.AddMinutes(15 * i);
            var local = TimeZoneInfo.ConvertTime(probe, s.TimeZone).DateTime;
            if (s.Rotations.Any(r => r.Covers(local))) return probe;
        }
        return null;
    }

    public static string Local(Schedule s, DateTimeOffset t) =>
        TimeZoneInfo.ConvertTime(t, s.TimeZone).ToString("ddd yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture) + " " + (s.TimeZone == TimeZoneInfo.Utc ? "UTC" : s.TimeZone.Id);
}
