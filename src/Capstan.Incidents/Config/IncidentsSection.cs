using System.Globalization;
using Capstan.Core.Config;
using Cronos;
using YamlDotNet.RepresentationModel;

namespace Capstan.Incidents.Config;

/// <summary>
/// Reads <c>incidents:</c> (severities, routing, update cadence, alert intake), <c>oncall:</c> (schedules,
/// rotations, escalation) and <c>notifications:</c> (routes, webhooks, people's quiet hours) from capstan.yaml,
/// reporting every problem with file:line:column.
/// </summary>
public sealed class IncidentsSection : IConfigSection
{
    public IReadOnlyList<string> TopLevelKeys => ["incidents", "oncall", "notifications"];

    private static readonly string[] IncidentKeys = ["room", "stakeholders", "environment", "severities", "alerts"];
    private static readonly string[] SeverityKeys = ["meaning", "notify", "update"];
    private static readonly string[] AlertKeys = ["token", "hmacSecret", "severityLabel", "severities", "default", "resolve", "appLabels"];
    private static readonly string[] ScheduleKeys = ["timezone", "rotations", "members", "fallback", "escalation"];
    private static readonly string[] RotationKeys = ["people", "start", "handoff", "hours", "days"];
    private static readonly string[] LevelKeys = ["after", "notify"];
    private static readonly string[] NotificationKeys = ["routes", "webhooks", "people"];
    private static readonly string[] RouteKeys = ["on", "severities", "apps", "to"];
    private static readonly string[] WebhookKeys = ["url", "secret"];
    private static readonly string[] PreferenceKeys = ["timezone", "quiet", "mute"];

    /// <summary>The events a notification route can name.</summary>
    public static readonly string[] Events = ["incident.opened", "incident.reclassified", "incident.resolved", "incident.acknowledged", "incident.reopened", "deploy.failed", "approval.requested", "drift.detected", "job.failed"];

    public static readonly IncidentsConfig Default = new("ops", ["ops"], "prod",
        [new("sev1", 1, "Critical: customers cannot use the product", [], TimeSpan.FromMinutes(15)),
         new("sev2", 2, "Major: a core feature is degraded", [], TimeSpan.FromMinutes(30)),
         new("sev3", 3, "Minor: limited impact, a workaround exists", [], TimeSpan.FromHours(2))],
        new AlertPolicy(null, null, "severity", new Dictionary<string, string>(), "sev3", true, ["app", "service", "job"]),
        new Dictionary<string, Schedule>(), [], new Dictionary<string, WebhookEndpoint>(), new Dictionary<string, PersonPreferences>());

    public object Read(ConfigReading reading)
    {
        var y = reading.Main;
        var root = y.Map(y.Root, "capstan.yaml");
        var rooms = reading.Policy.Rooms.Keys.Concat(reading.Policy.Environments.Values.Select(e => e.Room).OfType<string>()).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var people = reading.Policy.People;

        var inc = y.Map(y.Get(root, "incidents"), "incidents");
        y.OnlyKeys(inc, "incidents", IncidentKeys);
        var room = y.Text(y.Get(inc, "room"), "incidents.room")?.TrimStart('#').ToLowerInvariant() ?? Default.Room;
        if (inc is not null && !rooms.Contains(room)) y.Fail(y.Get(inc, "room"), Core.Commands.ArgumentKind.Unknown("room", room, rooms) + "; declare it under rooms:");
        var stakeholders = y.Strings(y.Get(inc, "stakeholders"), "incidents.stakeholders");
        foreach (var (s, node) in stakeholders)
            if (!rooms.Contains(s.TrimStart('#'))) y.Fail(node, Core.Commands.ArgumentKind.Unknown("room", s, rooms) + "; declare it under rooms:");
        var environment = y.Text(y.Get(inc, "environment"), "incidents.environment") ?? Default.Environment;
        if (inc is not null && y.Get(inc, "environment") is { } envNode && !reading.Policy.Environments.ContainsKey(environment))
            y.Fail(envNode, Core.Commands.ArgumentKind.Unknown("environment", environment, reading.Policy.Environments.Keys));

        // Schedules and webhooks first: severities and routes refer to them.
        var schedulesNode = y.Map(y.Get(root, "oncall"), "oncall");
        var teamNames = y.Entries(schedulesNode).Select(e => e.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var notifications = y.Map(y.Get(root, "notifications"), "notifications");
        y.OnlyKeys(notifications, "notifications", NotificationKeys);
        var webhooks = ReadWebhooks(y, y.Map(y.Get(notifications, "webhooks"), "notifications.webhooks"));
        var ctx = new TargetContext(y, rooms, people.Keys.ToHashSet(StringComparer.OrdinalIgnoreCase), teamNames, webhooks.Keys.ToHashSet(StringComparer.OrdinalIgnoreCase));
        var schedules = ReadSchedules(y, schedulesNode, ctx);

        var severities = new List<SeverityLevel>();
        var sevNode = y.Map(y.Get(inc, "severities"), "incidents.severities");
        foreach (var (name, keyNode, value) in y.Entries(sevNode))
        {
            if (!System.Text.RegularExpressions.Regex.IsMatch(name, "^[a-z][a-z0-9-]*$"))
                y.Fail(keyNode, $"severity name '{name}' must be lower-case letters, digits and dashes, such as sev1");
            var m = y.Map(value, $"severity {name}");
            y.OnlyKeys(m, $"severity {name}", SeverityKeys);
            var meaning = y.Text(y.Get(m, "meaning"), $"severity {name}.meaning");
            if (meaning is null) y.Fail(keyNode, $"severity {name} needs a meaning: one line saying when to use it");
            var update = y.Duration(y.Get(m, "update"), $"severity {name}.update");
            severities.Add(new(name, severities.Count + 1, meaning ?? "", Targets(ctx, y.Get(m, "notify"), $"severity {name}.notify"), update));
        }
        if (sevNode is not null && severities.Count == 0) y.Fail(y.Get(inc, "severities"), "incidents.severities needs at least one level, highest first (sev1, sev2 …)");
        if (severities.Count == 0) severities.AddRange(Default.Severities);
        var names = severities.Select(s => s.Name).ToList();

        var alerts = ReadAlerts(y, y.Map(y.Get(inc, "alerts"), "incidents.alerts"), names);
        var routes = ReadRoutes(y, y.Get(notifications, "routes"), ctx, names);
        var prefs = ReadPreferences(y, y.Map(y.Get(notifications, "people"), "notifications.people"), people.Keys);
        return new IncidentsConfig(room, stakeholders.Count > 0 ? stakeholders.Select(s => s.Value.TrimStart('#').ToLowerInvariant()).ToList() : [room],
            environment, severities, alerts, schedules, routes, webhooks, prefs);
    }

    private sealed record TargetContext(YamlSource Y, HashSet<string> Rooms, HashSet<string> People, HashSet<string> Teams, HashSet<string> Webhooks);

    private static List<Target> Targets(TargetContext c, YamlNode? node, string what, bool allowBareOnCall = false)
    {
        var list = new List<Target>();
        foreach (var (text, n) in c.Y.Strings(node, what))
        {
            if (allowBareOnCall && text is "oncall" or "team") { list.Add(new(text == "oncall" ? TargetKind.OnCall : TargetKind.Team, "")); continue; }
            var t = Target.Parse(text);
            var problem = t switch
            {
                null => $"'{text}' in {what} is not a target: write a room (ops), a person (\"@bob\"), team:NAME, oncall:NAME or webhook:NAME",
                { Kind: TargetKind.Room } when !c.Rooms.Contains(t.Name) => Core.Commands.ArgumentKind.Unknown("room", t.Name, c.Rooms) + $" (in {what})",
                { Kind: TargetKind.Person } when !c.People.Contains(t.Name) => Core.Commands.ArgumentKind.Unknown("person", t.Name, c.People) + $" (in {what})",
                { Kind: TargetKind.Team or TargetKind.OnCall } when !c.Teams.Contains(t.Name) => Core.Commands.ArgumentKind.Unknown("team", t.Name, c.Teams) + $" (in {what}; teams are the keys of oncall:)",
                { Kind: TargetKind.Webhook } when !c.Webhooks.Contains(t.Name) => Core.Commands.ArgumentKind.Unknown("webhook", t.Name, c.Webhooks) + $" (in {what}; declare it under notifications.webhooks)",
                _ => null,
            };
            if (problem is not null) c.Y.Fail(n, problem);
            else list.Add(t!);
        }
        return list;
    }

    private static Dictionary<string, Schedule> ReadSchedules(YamlSource y, YamlMappingNode? node, TargetContext ctx)
    {
        var result = new Dictionary<string, Schedule>(StringComparer.OrdinalIgnoreCase);
        foreach (var (team, keyNode, value) in y.Entries(node))
        {
            var m = y.Map(value, $"oncall.{team}");
            y.OnlyKeys(m, $"oncall.{team}", ScheduleKeys);
            var tz = Zone(y, y.Get(m, "timezone"), $"oncall.{team}.timezone");
            var rotations = new List<Rotation>();
            var rotNode = y.Get(m, "rotations");
            if (rotNode is YamlSequenceNode seq)
            {
                foreach (var item in seq.Children)
                {
                    var r = y.Map(item, $"oncall.{team}.rotations item");
                    y.OnlyKeys(r, $"oncall.{team} rotation", RotationKeys);
                    var rot = ReadRotation(y, r, item, team, ctx);
                    if (rot is not null) rotations.Add(rot);
                }
            }
            else if (rotNode is not null && !YamlSource.IsNull(rotNode)) y.Fail(rotNode, $"oncall.{team}.rotations must be a list of rotations (- people: [alice, bob] …)");
            var members = y.Strings(y.Get(m, "members"), $"oncall.{team}.members");
            foreach (var (p, n) in members)
                if (!ctx.People.Contains(p)) y.Fail(n, Core.Commands.ArgumentKind.Unknown("person", p, ctx.People));
            var fallback = y.Text(y.Get(m, "fallback"), $"oncall.{team}.fallback")?.TrimStart('@');
            if (fallback is not null && !ctx.People.Contains(fallback)) y.Fail(y.Get(m, "fallback"), Core.Commands.ArgumentKind.Unknown("person", fallback, ctx.People));
            var levels = new List<EscalationLevel>();
            if (y.Get(m, "escalation") is YamlSequenceNode esc)
            {
                TimeSpan? previous = null;
                foreach (var item in esc.Children)
                {
                    var l = y.Map(item, $"oncall.{team}.escalation item");
                    y.OnlyKeys(l, $"oncall.{team} escalation level", LevelKeys);
                    var after = y.Duration(y.Get(l, "after"), $"oncall.{team} escalation after") ?? TimeSpan.Zero;
                    if (previous is { } p && after <= p) y.Fail(y.Get(l, "after") ?? item, $"escalation levels of {team} must come later and later: {Core.Commands.DurationText.Format(after)} is not after {Core.Commands.DurationText.Format(p)}");
                    previous = after;
                    levels.Add(new(after, Targets(ctx, y.Get(l, "notify"), $"oncall.{team} escalation notify", allowBareOnCall: true)));
                }
            }
            else if (y.Get(m, "escalation") is { } bad && !YamlSource.IsNull(bad)) y.Fail(bad, $"oncall.{team}.escalation must be a list of levels (- after: 5m, notify: [oncall])");
            if (rotations.Count == 0 && members.Count == 0) y.Fail(keyNode, $"team {team} needs rotations: (who is on call when) or members:");
            if (levels.Count == 0) levels.Add(new(TimeSpan.Zero, [new(TargetKind.OnCall, "")]));
            result[team] = new Schedule(team, tz, rotations, members.Select(x => x.Value).ToList(), fallback, levels);
        }
        return result;
    }

    private static Rotation? ReadRotation(YamlSource y, YamlMappingNode? r, YamlNode item, string team, TargetContext ctx)
    {
        if (r is null) return null;
        var people = y.Strings(y.Get(r, "people"), $"oncall.{team} rotation people");
        foreach (var (p, n) in people)
            if (!ctx.People.Contains(p.TrimStart('@'))) y.Fail(n, Core.Commands.ArgumentKind.Unknown("person", p, ctx.People));
        if (people.Count == 0) { y.Fail(item, $"a rotation of {team} needs people: [who takes turns]"); return null; }
        var startText = y.Text(y.Get(r, "start"), $"oncall.{team} rotation start");
        var start = DateTime.MinValue;
        if (startText is not null && !DateTime.TryParse(startText, CultureInfo.InvariantCulture, DateTimeStyles.None, out start))
            y.Fail(y.Get(r, "start"), $"'{startText}' is not a date and time; write it like 2026-11-30 09:00 (in the team's time zone)");
        var handoffText = y.Text(y.Get(r, "handoff"), $"oncall.{team} rotation handoff") ?? "0 9 * * MON";
        CronExpression? handoff = null;
        try { handoff = CronExpression.Parse(handoffText); }
        catch (CronFormatException ex) { y.Fail(y.Get(r, "handoff"), $"handoff '{handoffText}' is not a cron expression ({ex.Message.TrimEnd('.')}); write it like \"0 9 * * MON\" (Mondays 09:00)"); }
        TimeOnly? from = null, until = null;
        if (y.Text(y.Get(r, "hours"), $"oncall.{team} rotation hours") is { } hours)
        {
            var parts = hours.Split('-', 2, StringSplitOptions.TrimEntries);
            if (parts.Length == 2 && TimeOnly.TryParse(parts[0], CultureInfo.InvariantCulture, out var f) && TimeOnly.TryParse(parts[1], CultureInfo.InvariantCulture, out var u) && f != u) (from, until) = (f, u);
            else y.Fail(y.Get(r, "hours"), $"hours '{hours}' must be a window like 09:00-17:00 (or 22:00-06:00 overnight)");
        }
        var days = new HashSet<DayOfWeek>();
        foreach (var (d, n) in y.Strings(y.Get(r, "days"), $"oncall.{team} rotation days"))
        {
            var day = Enum.GetValues<DayOfWeek>().Where(x => x.ToString().StartsWith(d, StringComparison.OrdinalIgnoreCase) && d.Length >= 2).ToList();
            if (day.Count == 1) days.Add(day[0]);
            else y.Fail(n, $"'{d}' is not a day of the week (write mon, tue, wed, thu, fri, sat, sun)");
        }
        return handoff is null ? null : new Rotation(people.Select(p => p.Value.TrimStart('@')).ToList(), start, handoff, handoffText, from, until, days);
    }

    private static TimeZoneInfo Zone(YamlSource y, YamlNode? node, string what)
    {
        var text = y.Text(node, what);
        if (text is null) return TimeZoneInfo.Utc;
        try { return TimeZoneInfo.FindSystemTimeZoneById(text); }
        catch (TimeZoneNotFoundException)
        {
            y.Fail(node, $"unknown time zone '{text}' in {what}; use an IANA name such as Europe/Berlin, America/New_York or UTC");
            return TimeZoneInfo.Utc;
        }
    }

    private static AlertPolicy ReadAlerts(YamlSource y, YamlMappingNode? m, IReadOnlyList<string> severities)
    {
        y.OnlyKeys(m, "incidents.alerts", AlertKeys);
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (label, _, v) in y.Entries(y.Map(y.Get(m, "severities"), "incidents.alerts.severities")))
        {
            var sev = y.Text(v, $"incidents.alerts.severities.{label}");
            if (sev is null) continue;
            if (!severities.Contains(sev)) y.Fail(v, Core.Commands.ArgumentKind.Unknown("severity", sev, severities));
            map[label] = sev;
        }
        var def = y.Text(y.Get(m, "default"), "incidents.alerts.default") ?? severities[^1];
        if (!severities.Contains(def)) y.Fail(y.Get(m, "default"), Core.Commands.ArgumentKind.Unknown("severity", def, severities));
        var token = y.Text(y.Get(m, "token"), "incidents.alerts.token");
        var hmac = y.Text(y.Get(m, "hmacSecret"), "incidents.alerts.hmacSecret");
        if (token is { Length: < 16 }) y.Fail(y.Get(m, "token"), "incidents.alerts.token must be at least 16 characters; generate one with `openssl rand -hex 24`");
        if (hmac is { Length: < 16 }) y.Fail(y.Get(m, "hmacSecret"), "incidents.alerts.hmacSecret must be at least 16 characters; generate one with `openssl rand -hex 24`");
        var labels = y.Strings(y.Get(m, "appLabels"), "incidents.alerts.appLabels").Select(x => x.Value).ToList();
        return new AlertPolicy(token, hmac, y.Text(y.Get(m, "severityLabel"), "incidents.alerts.severityLabel") ?? "severity", map, def,
            y.Bool(y.Get(m, "resolve"), "incidents.alerts.resolve") ?? true, labels.Count > 0 ? labels : ["app", "service", "job"]);
    }

    private static Dictionary<string, WebhookEndpoint> ReadWebhooks(YamlSource y, YamlMappingNode? m)
    {
        var result = new Dictionary<string, WebhookEndpoint>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, keyNode, value) in y.Entries(m))
        {
            var w = y.Map(value, $"webhook {name}");
            y.OnlyKeys(w, $"webhook {name}", WebhookKeys);
            var url = y.Text(y.Get(w, "url"), $"webhook {name}.url");
            if (url is null || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                y.Fail(y.Get(w, "url") ?? keyNode, $"webhook {name} needs url: an http(s) address such as https://hooks.example.com/capstan");
                continue;
            }
            result[name] = new WebhookEndpoint(name, uri, y.Text(y.Get(w, "secret"), $"webhook {name}.secret"));
        }
        return result;
    }

    private static List<NotificationRoute> ReadRoutes(YamlSource y, YamlNode? node, TargetContext ctx, IReadOnlyList<string> severities)
    {
        var routes = new List<NotificationRoute>();
        if (node is null || YamlSource.IsNull(node)) return routes;
        if (node is not YamlSequenceNode seq) { y.Fail(node, "notifications.routes must be a list (- on: [incident.opened], to: [ops])"); return routes; }
        foreach (var item in seq.Children)
        {
            var m = y.Map(item, "notifications route");
            y.OnlyKeys(m, "notifications route", RouteKeys);
            var events = y.Strings(y.Get(m, "on"), "route on");
            foreach (var (e, n) in events)
                if (!Events.Contains(e)) y.Fail(n, Core.Commands.ArgumentKind.Unknown("event", e, Events));
            if (events.Count == 0) y.Fail(item, $"a notification route needs on: [events] — one or more of {string.Join(", ", Events)}");
            var sevs = y.Strings(y.Get(m, "severities"), "route severities");
            foreach (var (s, n) in sevs)
                if (!severities.Contains(s)) y.Fail(n, Core.Commands.ArgumentKind.Unknown("severity", s, severities));
            var to = Targets(ctx, y.Get(m, "to"), "route to");
            if (to.Count == 0 && y.Get(m, "to") is null) y.Fail(item, "a notification route needs to: [rooms, \"@people\", team:NAME, webhook:NAME]");
            routes.Add(new(events.Select(e => e.Value).ToList(), sevs.Select(s => s.Value).ToList(), y.Strings(y.Get(m, "apps"), "route apps").Select(a => a.Value).ToList(), to));
        }
        return routes;
    }

    private static Dictionary<string, PersonPreferences> ReadPreferences(YamlSource y, YamlMappingNode? m, IEnumerable<string> known)
    {
        var people = known.ToHashSet(StringComparer.OrdinalIgnoreCase);
        var result = new Dictionary<string, PersonPreferences>(StringComparer.OrdinalIgnoreCase);
        foreach (var (person, keyNode, value) in y.Entries(m))
        {
            if (!people.Contains(person)) y.Fail(keyNode, Core.Commands.ArgumentKind.Unknown("person", person, people));
            var p = y.Map(value, $"notifications.people.{person}");
            y.OnlyKeys(p, $"notifications.people.{person}", PreferenceKeys);
            var tz = Zone(y, y.Get(p, "timezone"), $"notifications.people.{person}.timezone");
            TimeOnly? from = null, until = null;
            if (y.Text(y.Get(p, "quiet"), $"notifications.people.{person}.quiet") is { } quiet)
            {
                var parts = quiet.Split('-', 2, StringSplitOptions.TrimEntries);
                if (parts.Length == 2 && TimeOnly.TryParse(parts[0], CultureInfo.InvariantCulture, out var f) && TimeOnly.TryParse(parts[1], CultureInfo.InvariantCulture, out var u) && f != u) (from, until) = (f, u);
                else y.Fail(y.Get(p, "quiet"), $"quiet '{quiet}' must be a window like 22:00-07:00");
            }
            var mute = y.Strings(y.Get(p, "mute"), $"notifications.people.{person}.mute");
            foreach (var (e, n) in mute)
                if (!Events.Contains(e)) y.Fail(n, Core.Commands.ArgumentKind.Unknown("event", e, Events));
            result[person] = new PersonPreferences(person, tz, from, until, mute.Select(x => x.Value).ToHashSet(StringComparer.OrdinalIgnoreCase));
        }
        return result;
    }

    public string SeedMain => """
        # Incidents: severities (highest first) say what each level means, who it calls in and how often the
        # commander owes an update. Targets: a room (ops), a person ("@bob"), team:NAME, oncall:NAME, webhook:NAME.
        incidents:
          room: ops
          severities:
            sev1: { meaning: "Critical: customers cannot use the product", notify: [ops, "oncall:platform", "@alice"], update: 15m }
            sev2: { meaning: "Major: a core feature is degraded", notify: [ops, "oncall:platform"], update: 30m }
            sev3: { meaning: "Minor: limited impact, a workaround exists", notify: [ops], update: 2h }
          alerts:
            severities: { critical: sev1, warning: sev2, info: sev3 }

        # On-call: who answers pages, by team. Rotations hand over at each cron occurrence in the team's time zone.
        oncall:
          platform:
            timezone: UTC
            rotations:
              - { people: [bob, alice], start: "2026-01-05 09:00", handoff: "0 9 * * MON" }
            fallback: alice
            escalation:
              - { after: 0m, notify: [oncall] }
              - { after: 10m, notify: ["@alice"] }
              - { after: 20m, notify: [team] }

        # Notifications: which events go where, and people's quiet hours (the highest severity always gets through).
        notifications:
          routes:
            - { on: [deploy.failed, drift.detected, job.failed], to: [ops] }
            - { on: [approval.requested], to: [ops] }
          people:
            bob: { timezone: UTC, quiet: "22:00-07:00" }
        """;
}
