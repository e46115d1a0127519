namespace Capstan.Incidents.Config;

/// <summary>
/// Who or what a notification goes to: a room (<c>ops</c>), a person (<c>@bob</c>), every member of a team
/// (<c>team:platform</c>), whoever is on call for a team (<c>oncall:platform</c>), or an outgoing webhook
/// (<c>webhook:pager</c>).
/// </summary>
public sealed record Target(TargetKind Kind, string Name)
{
    public override string ToString() => Kind switch
    {
        TargetKind.Room => "#" + Name,
        TargetKind.Person => "@" + Name,
        TargetKind.Team => "team:" + Name,
        TargetKind.OnCall => "oncall:" + Name,
        _ => "webhook:" + Name,
    };

    /// <summary>Reads target text; null when it is not of a known shape.</summary>
    public static Target? Parse(string text)
    {
        text = text.Trim();
        if (text.StartsWith('@')) return new(TargetKind.Person, text[1..]);
        if (text.StartsWith('#')) return new(TargetKind.Room, text[1..].ToLowerInvariant());
        var colon = text.IndexOf(':');
        if (colon < 0) return text.Length > 0 ? new(TargetKind.Room, text.ToLowerInvariant()) : null;
        var (kind, name) = (text[..colon], text[(colon + 1)..]);
        return kind switch
        {
            "team" => new(TargetKind.Team, name),
            "oncall" => new(TargetKind.OnCall, name),
            "webhook" => new(TargetKind.Webhook, name),
            "room" => new(TargetKind.Room, name.ToLowerInvariant()),
            "person" => new(TargetKind.Person, name),
            _ => null,
        };
    }
}

/// <summary>The shapes a notification target can take.</summary>
public enum TargetKind { Room, Person, Team, OnCall, Webhook }

/// <summary>A severity level: its name (sev1), what it means, who it calls in, and how often updates are due.</summary>
public sealed record SeverityLevel(string Name, int Rank, string Meaning, IReadOnlyList<Target> Notify, TimeSpan? UpdateEvery);

/// <summary>How Alertmanager deliveries are accepted and turned into incidents.</summary>
public sealed record AlertPolicy(
    string? Token,
    string? HmacSecret,
    string SeverityLabel,
    IReadOnlyDictionary<string, string> Severities,
    string DefaultSeverity,
    bool ResolveIncidents,
    IReadOnlyList<string> AppLabels)
{
    public bool Configured => Token is not null || HmacSecret is not null;
}

/// <summary>One rotation of an on-call schedule: people taking turns, handing over at each cron occurrence.</summary>
public sealed record Rotation(IReadOnlyList<string> People, DateTime Start, Cronos.CronExpression Handoff, string HandoffText, TimeOnly? From, TimeOnly? Until, IReadOnlySet<DayOfWeek> Days)
{
    /// <summary>Whether the rotation covers a local time (its hours and days; all day every day when unset).</summary>
    public bool Covers(DateTime local)
    {
        if (local < Start) return false;
        if (Days.Count > 0 && !Days.Contains(local.DayOfWeek)) return false;
        if (From is not { } f || Until is not { } u) return true;
        var t = TimeOnly.FromDateTime(local);
        return t.IsBetween(f, u); // start inclusive, end exclusive; an overnight window wraps midnight
    }
}

/// <summary>One step of an escalation policy: after this long without an acknowledgement, notify these.</summary>
public sealed record EscalationLevel(TimeSpan After, IReadOnlyList<Target> Notify);

/// <summary>A team's on-call schedule: rotations in a time zone, a fallback for gaps, and its escalation policy.</summary>
public sealed record Schedule(string Team, TimeZoneInfo TimeZone, IReadOnlyList<Rotation> Rotations, IReadOnlyList<string> Members, string? Fallback, IReadOnlyList<EscalationLevel> Escalation)
{
    /// <summary>Everyone on the team: its members and everyone in a rotation.</summary>
    public IReadOnlyList<string> Everyone => Members.Concat(Rotations.SelectMany(r => r.People)).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
}

/// <summary>Where events of some kinds (optionally only some severities or apps) are sent.</summary>
public sealed record NotificationRoute(IReadOnlyList<string> Events, IReadOnlyList<string> Severities, IReadOnlyList<string> Apps, IReadOnlyList<Target> To);

/// <summary>An outgoing webhook: JSON POSTed to a URL, signed with HMAC-SHA256 when a secret is set.</summary>
public sealed record WebhookEndpoint(string Name, Uri Url, string? Secret);

/// <summary>A person's notification preferences: quiet hours in their time zone and events they do not want.</summary>
public sealed record PersonPreferences(string Person, TimeZoneInfo TimeZone, TimeOnly? QuietFrom, TimeOnly? QuietUntil, IReadOnlySet<string> Mute)
{
    /// <summary>Whether an instant falls in this person's quiet hours.</summary>
    public bool IsQuiet(DateTimeOffset at)
    {
        if (QuietFrom is not { } f || QuietUntil is not { } u) return false;
        var t = TimeOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, TimeZone).DateTime);
        return t.IsBetween(f, u);
    }

    /// <summary>The next instant after <paramref name="at"/> when quiet hours end.</summary>
    public DateTimeOffset QuietEnds(DateTimeOffset at)
    {
        var local = TimeZoneInfo.ConvertTime(at, TimeZone).DateTime;
        var end = local.Date + QuietUntil!.Value.ToTimeSpan();
        if (end <= local) end = end.AddDays(1);
        return new DateTimeOffset(end, TimeZone.GetUtcOffset(end)).ToUniversalTime();
    }
}

/// <summary>The whole <c>incidents:</c>, <c>oncall:</c> and <c>notifications:</c> configuration.</summary>
public sealed record IncidentsConfig(
    string Room,
    IReadOnlyList<string> Stakeholders,
    string Environment,
    IReadOnlyList<SeverityLevel> Severities,
    AlertPolicy Alerts,
    IReadOnlyDictionary<string, Schedule> Schedules,
    IReadOnlyList<NotificationRoute> Routes,
    IReadOnlyDictionary<string, WebhookEndpoint> Webhooks,
    IReadOnlyDictionary<string, PersonPreferences> People)
{
    /// <summary>The severity levels' names, highest first.</summary>
    public IReadOnlyList<string> SeverityNames => Severities.Select(s => s.Name).ToList();

    public SeverityLevel? Severity(string name) => Severities.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The highest severity: notifications at this level ignore quiet hours and mutes.</summary>
    public SeverityLevel Highest => Severities[0];
}
