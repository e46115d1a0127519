using System.Globalization;
using Capstan.Core.Commands;
using Capstan.Core.Ledger;
using Capstan.Incidents.Config;
using Capstan.Incidents.OnCall;
using Capstan.Incidents.Store;

namespace Capstan.Incidents.Chat;

/// <summary>The on-call commands: who is on call (for a team, every team, or whether a person is), and overrides.</summary>
public sealed class OnCallCommands : ICommandModule
{
    private const string Group = "On-call";

    private static readonly Argument<string> Whom = new("whom", ArgumentKind.Text);
    private static readonly Argument<string> Team = new("team", ArgumentKind.Text);
    private static readonly Argument<string> Person = new("person", ArgumentKind.Text);
    private static readonly Argument<string> Until = new("until", ArgumentKind.Text);

    public void Register(CommandRegistry registry)
    {
        registry.Add(new CommandSpec("oncall who", Group, "Who is on call now: for a team, for every team, or when a person is next")
            .Alias("oncall", "who is on call")
            .Optional(Whom, "a team, or @person")
            .Needs(IncidentCommands.Permission).Example("oncall who", "oncall who platform", "oncall who @bob").Runs<OnCallRoster>(Who));
        registry.Add(new CommandSpec("oncall override", Group, "Put someone (yourself by default) on call for a team until a time or for a while")
            .Optional(Team, "the team (may be left out when the person is on exactly one schedule)")
            .Optional(Person, "@person").Keyword("until", Until, required: true, description: "a time (2026-12-02T09:00Z) or a duration (8h)")
            .Needs(IncidentCommands.Permission).Effects(SideEffect.Change)
            .Example("oncall override @alice until 8h", "oncall override platform @carol until 2026-12-02T09:00Z").Runs<IIncidentStore, OnCallRoster, Ledger, Notify.Notifier>(Override));
    }

    private static IncidentsConfig Settings(CommandContext ctx) => ctx.Config.Find<IncidentsConfig>() ?? IncidentsSection.Default;

    private static async Task<CommandResult> Who(CommandContext ctx, OnCallRoster roster)
    {
        var settings = Settings(ctx);
        var now = ctx.Clock.GetUtcNow();
        if (settings.Schedules.Count == 0) return CommandResult.Info("No on-call schedules are set: add teams under oncall: in capstan.yaml (docs/incidents.md has an example).");
        var whom = ctx.Find(Whom);
        if (whom is not null && whom.StartsWith('@'))
        {
            var person = whom[1..];
            if (!ctx.Config.Policy.People.ContainsKey(person)) return CommandResult.Invalid(ArgumentKind.Unknown("person", person, ctx.Config.Policy.People.Keys) + ".");
            var teams = new List<Schedule>();
            foreach (var s in settings.Schedules.Values)
                if (s.Everyone.Contains(person, StringComparer.OrdinalIgnoreCase) || string.Equals(s.Fallback, person, StringComparison.OrdinalIgnoreCase)
                    || string.Equals((await roster.WhoAsync(s, now, ctx.Cancellation)).Person, person, StringComparison.OrdinalIgnoreCase))
                    teams.Add(s);
            if (teams.Count == 0)
                return CommandResult.Info($"{person} is not on any on-call schedule (teams: {string.Join(", ", settings.Schedules.Keys)}). Add them to a rotation under oncall: in capstan.yaml, or `oncall override TEAM @{person} until …` for a while.");
            var lines = new List<string>();
            foreach (var s in teams)
            {
                var who = await roster.WhoAsync(s, now, ctx.Cancellation);
                lines.Add(string.Equals(who.Person, person, StringComparison.OrdinalIgnoreCase) ? $"{s.Team}: {person} is on call now ({who.Why})" : $"{s.Team}: {person} is on the schedule; {who.Person ?? "nobody"} is on call now");
            }
            return CommandResult.Info(string.Join("\n", lines));
        }
        IEnumerable<Schedule> wanted = settings.Schedules.Values;
        if (whom is not null)
        {
            if (!settings.Schedules.TryGetValue(whom, out var one)) return CommandResult.Invalid(ArgumentKind.Unknown("team", whom, settings.Schedules.Keys) + ".");
            wanted = [one];
        }
        var rows = new List<IReadOnlyList<string>>();
        foreach (var s in wanted)
        {
            var who = await roster.WhoAsync(s, now, ctx.Cancellation);
            rows.Add([s.Team, who.Person ?? "nobody", who.Gap ? "⚠ " + who.Why : who.Why, who.Until is { } u ? OnCallRoster.Local(s, u) : "—"]);
        }
        var gaps = rows.Count(r => r[2].StartsWith('⚠'));
        return CommandResult.Info(gaps == 0 ? "On call now:" : $"On call now ({gaps} team(s) with a gap in the schedule):", new Table(["team", "on call", "why", "until"], rows));
    }

    private static async Task<CommandResult> Override(CommandContext ctx, IIncidentStore store, OnCallRoster roster, Ledger ledger, Notify.Notifier notifier)
    {
        var settings = Settings(ctx);
        var people = ctx.Config.Policy.People;
        var team = ctx.Find(Team);
        var personText = ctx.Find(Person);
        if (team is not null && team.StartsWith('@')) (team, personText) = (personText, team);
        var person = personText?.TrimStart('@') ?? ctx.Actor.Person!.Id;
        if (!people.ContainsKey(person)) return CommandResult.Invalid(ArgumentKind.Unknown("person", person, people.Keys) + ".");
        Schedule? schedule;
        if (team is not null)
        {
            if (!settings.Schedules.TryGetValue(team, out schedule)) return CommandResult.Invalid(ArgumentKind.Unknown("team", team, settings.Schedules.Keys) + ".");
        }
        else
        {
            var teams = settings.Schedules.Values.Where(s => s.Everyone.Contains(person, StringComparer.OrdinalIgnoreCase)).ToList();
            if (teams.Count != 1)
                return CommandResult.Invalid(teams.Count == 0
                    ? $"{person} is not on any on-call schedule, so name the team: `oncall override TEAM @{person} until …` (teams: {string.Join(", ", settings.Schedules.Keys)})."
                    : $"{person} is on several schedules ({string.Join(", ", teams.Select(t => t.Team))}); name the team: `oncall override {teams[0].Team} @{person} until …`.");
            schedule = teams[0];
        }
        var now = ctx.Clock.GetUtcNow();
        var untilText = ctx.Get(Until);
        DateTimeOffset until;
        if (DurationText.TryParse(untilText, out var span)) until = now + span;
        else if (DateTimeOffset.TryParse(untilText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)) until = t;
        else return CommandResult.Invalid($"'{untilText}' is neither a time (2026-12-02T09:00Z) nor a duration (8h).");
        if (until <= now) return CommandResult.Invalid($"{until:yyyy-MM-dd HH:mm} UTC is already past; an override must end in the future.");
        if (until - now > TimeSpan.FromDays(31)) return CommandResult.Invalid("An override can last at most 31 days; change the rotation in capstan.yaml for longer.");
        var previous = await roster.WhoAsync(schedule, now, ctx.Cancellation);
        var o = await store.AddOverrideAsync(schedule.Team, people[person].Id, now, until, ctx.Actor.Person!.Id, ctx.Cancellation);
        await ledger.AppendAsync("oncall.override", ctx.Actor.LedgerName, ctx.Room, ctx.Thread, new { team = schedule.Team, person = o.Person, from = o.From, until = o.Until, previous = previous.Person });
        if (!string.Equals(o.Person, ctx.Actor.Person!.Id, StringComparison.OrdinalIgnoreCase))
            await notifier.DirectAsync(o.Person, $"{ctx.Actor.Person!.Id} put you on call for {schedule.Team} until {OnCallRoster.Local(schedule, until)}.");
        return CommandResult.Ok($"{o.Person} is on call for {schedule.Team} until {OnCallRoster.Local(schedule, until)} (instead of {previous.Person ?? "nobody"}).");
    }
}
