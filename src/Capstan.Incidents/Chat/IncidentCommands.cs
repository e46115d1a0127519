using System.Globalization;
using Capstan.Core.Commands;
using Capstan.Incidents.Config;
using Capstan.Incidents.Desk;
using Capstan.Incidents.Figures;
using Capstan.Incidents.Postmortems;
using Capstan.Incidents.Store;
using Capstan.Incidents.Timeline;

namespace Capstan.Incidents.Chat;

/// <summary>
/// The incident commands: open, sev, assign, update, task, tasks, done, ack, resolve, reopen, note, mark, timeline,
/// postmortem, stats, and <c>incidents</c>. In an incident's own room the INC-N can be left out.
/// </summary>
public sealed class IncidentCommands : ICommandModule
{
    /// <summary>Incidents are for everyone on the team: any person with 'read' can declare and work one.</summary>
    public const string Permission = "read";
    private const string Group = "Incidents";
    private const string IdHelp = "INC-N; may be left out in the incident's own room";

    /// <summary>A severity named in incidents.severities.</summary>
    public static readonly ArgumentKind Severity = ArgumentKind.Named("severity", c => (c.Config.Find<IncidentsConfig>() ?? IncidentsSection.Default).SeverityNames.ToList());

    public void Register(CommandRegistry registry)
    {
        registry.Add(new CommandSpec("incident open", Group, "Declare an incident: its own room, you as commander, the severity's people notified")
            .Alias("incident declare")
            .Required("title", ArgumentKind.Text, "what is wrong, in quotes").Required("severity", Severity)
            .Optional("app", ArgumentKind.Text, "affected apps, comma-separated").Optional("commander", ArgumentKind.Person, "someone else to lead it")
            .Optional("env", ArgumentKind.Environment, "the affected environment (default: incidents.environment, prod)")
            .Needs(Permission).Effects(SideEffect.Change)
            .Example("incident open \"checkout latency\" sev2 app=api", "incident open \"login down\" sev1 app=web commander=@bob")
            .Runs(Open));
        registry.Add(new CommandSpec("incident sev", Group, "Reclassify an incident: old→new announced, only the people the new severity adds notified")
            .Alias("incident severity", "incident reclassify")
            .Optional("incident", ArgumentKind.Text, IdHelp).Optional("severity", ArgumentKind.Text, "the new severity").Rest("reason", false, "why")
            .Needs(Permission).Effects(SideEffect.Change).Example("incident sev INC-3 sev1 checkout fully down", "incident sev sev3").Runs(Reclassify));
        registry.Add(new CommandSpec("incident assign", Group, "Give a role (commander, comms, scribe) to a person; handoffs are recorded")
            .Optional("incident", ArgumentKind.Text, IdHelp).Optional("role", ArgumentKind.Text, "commander, comms or scribe").Optional("person", ArgumentKind.Text, "@person")
            .Needs(Permission).Effects(SideEffect.Change).Example("incident assign INC-3 comms @carol", "incident assign commander @bob").Runs(Assign));
        registry.Add(new CommandSpec("incident update", Group, "Post a status update to the incident room and the stakeholders' rooms")
            .Optional("incident", ArgumentKind.Text, IdHelp).Rest("text", false, "the update")
            .Needs(Permission).Effects(SideEffect.Change).Example("incident update INC-3 rolled back api to 1.4.1; errors falling").Runs(Update));
        registry.Add(new CommandSpec("incident task", Group, "Add a follow-up task, optionally for someone (@person at the end)")
            .Optional("incident", ArgumentKind.Text, IdHelp).Rest("text", false, "what needs doing, then @person")
            .Needs(Permission).Effects(SideEffect.Change).Example("incident task INC-3 alert on queue depth @bob").Runs(AddTask));
        registry.Add(new CommandSpec("incident tasks", Group, "List an incident's follow-up tasks")
            .Optional("incident", ArgumentKind.Text, IdHelp).Needs(Permission).Example("incident tasks INC-3").Runs(Tasks));
        registry.Add(new CommandSpec("incident done", Group, "Mark a follow-up task done")
            .Optional("incident", ArgumentKind.Text, IdHelp).Optional("task", ArgumentKind.Text, "the task number")
            .Needs(Permission).Effects(SideEffect.Change).Example("incident done INC-3 2").Runs(Done));
        registry.Add(new CommandSpec("incident ack", Group, "Acknowledge an incident: you are on it, escalation stops")
            .Alias("incident acknowledge", "ack")
            .Optional("incident", ArgumentKind.Text, IdHelp).Needs(Permission).Effects(SideEffect.Change).Example("incident ack INC-3").Runs(Ack));
        registry.Add(new CommandSpec("incident resolve", Group, "Resolve an incident, with a one-line summary")
            .Optional("incident", ArgumentKind.Text, IdHelp).Rest("summary", false, "what fixed it")
            .Needs(Permission).Effects(SideEffect.Change).Example("incident resolve INC-3 rolled back the bad deploy").Runs(Resolve));
        registry.Add(new CommandSpec("incident reopen", Group, "Reopen a resolved incident")
            .Optional("incident", ArgumentKind.Text, IdHelp).Needs(Permission).Effects(SideEffect.Change).Example("incident reopen INC-3").Runs(Reopen));
        registry.Add(new CommandSpec("incident note", Group, "Add a note to an incident's timeline")
            .Optional("incident", ArgumentKind.Text, IdHelp).Rest("text", false, "the note")
            .Needs(Permission).Effects(SideEffect.Change).Example("incident note INC-3 the cache hit rate dropped at 14:02").Runs(Note));
        registry.Add(new CommandSpec("incident mark", Group, "Mark a timeline entry as key (it leads the postmortem's timeline)")
            .Optional("incident", ArgumentKind.Text, IdHelp).Optional("entry", ArgumentKind.Text, "the entry number shown by `incident timeline`")
            .Flag("unmark", "take the mark away")
            .Needs(Permission).Effects(SideEffect.Change).Example("incident mark INC-3 1042").Runs(Mark));
        registry.Add(new CommandSpec("incident timeline", Group, "Everything said and done in an incident, in order, with who and when")
            .Optional("incident", ArgumentKind.Text, IdHelp).Optional("only", ArgumentKind.Text, "one category: " + string.Join(", ", IncidentTimeline.Categories))
            .Needs(Permission).Example("incident timeline INC-3", "incident timeline INC-3 delivery").Runs(ShowTimeline));
        registry.Add(new CommandSpec("incident postmortem", Group, "Draft the review document and commit it to the config repo as postmortems/INC-N.md")
            .Optional("incident", ArgumentKind.Text, IdHelp).Needs(PostmortemWriter.Permission).Effects(SideEffect.Change).Example("incident postmortem INC-3").Runs(Postmortem));
        registry.Add(new CommandSpec("incident show", Group, "An incident's state, roles, figures and tasks")
            .Alias("incident")
            .Optional("incident", ArgumentKind.Text, IdHelp).Needs(Permission).Example("incident show INC-3").Runs(Show));
        registry.Add(new CommandSpec("incident stats", Group, "MTTA and MTTR over a period, overall and per severity, from the ledger")
            .Keyword("last", "period", ArgumentKind.Duration, description: "how far back (default 30d)")
            .Needs(Permission).Example("incident stats", "incident stats last 7d").Runs(Stats));
        registry.Add(new CommandSpec("incidents", Group, "List incidents (open ones, or all) with time to acknowledge and resolve")
            .Optional("which", ArgumentKind.Enum("open", "all"), "open (default) or all")
            .Keyword("last", "period", ArgumentKind.Duration, description: "the period for MTTA/MTTR (default 30d)")
            .Needs(Permission).Example("incidents", "incidents all last 7d").Runs(List));
    }

    /// <summary>
    /// Optional INC-N first: in an incident's room, when the first value is not an incident id, the values move one
    /// place right (the last ones joining the rest of the line), so `incident sev sev1 reason` works there.
    /// Elsewhere the id is needed, and a first value that is not one is reported as such.
    /// </summary>
    internal static string?[] Values(CommandContext ctx, params string[] names)
    {
        var raw = names.Select(n => ctx.Command.Find<string>(n)).ToArray();
        if (raw[0] is null || IncidentId.Parse(raw[0]) is not null || !ctx.Room.StartsWith("inc-", StringComparison.Ordinal)) return raw;
        var shifted = new string?[raw.Length];
        for (var k = 1; k < raw.Length; k++) shifted[k] = raw[k - 1];
        if (raw[^1] is { } last) shifted[^1] = shifted[^1] is null ? last : shifted[^1] + " " + last;
        return shifted;
    }

    private static string By(CommandContext ctx) => ctx.Actor.Person?.Id ?? ctx.Actor.LedgerName;

    private static async Task<(Incident? Incident, CommandResult? Problem)> FindAsync(CommandContext ctx, string? id)
    {
        var desk = ctx.Service<IncidentDesk>();
        await desk.OpenRoomsAsync(ctx.Cancellation);
        var (i, problem) = await desk.FindAsync(id, ctx.Room, ctx.Cancellation);
        return (i, problem is null ? null : CommandResult.Invalid(problem));
    }

    private static CommandResult From(DeskResult r) => r.Ok ? (r.Changed ? CommandResult.Ok(r.Text) : CommandResult.Info(r.Text)) : CommandResult.Fail(r.Text);

    private static async Task<CommandResult> Open(CommandContext ctx)
    {
        var desk = ctx.Service<IncidentDesk>();
        await desk.OpenRoomsAsync(ctx.Cancellation);
        var apps = (ctx.Command.Find<string>("app") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        return From(await desk.OpenAsync(ctx.Command.Get<string>("title"), ctx.Command.Get<string>("severity"), By(ctx), ctx.Command.Find<string>("commander"),
            apps, ctx.Command.Find<string>("env"), "chat", ctx.Cancellation));
    }

    private static async Task<CommandResult> Reclassify(CommandContext ctx)
    {
        var v = Values(ctx, "incident", "severity", "reason");
        var (i, problem) = await FindAsync(ctx, v[0]);
        if (i is null) return problem!;
        var settings = ctx.Service<IncidentDesk>().Settings;
        if (v[1] is null) return CommandResult.Invalid($"Say the new severity: `incident sev {i.Id} SEVERITY [reason]`, one of {string.Join(", ", settings.SeverityNames)}.");
        if (settings.Severity(v[1]!) is null) return CommandResult.Invalid(ArgumentKind.Unknown("severity", v[1]!, settings.SeverityNames) + ".");
        return From(await ctx.Service<IncidentDesk>().ReclassifyAsync(i.Number, v[1]!, v[2], By(ctx), ctx.Cancellation));
    }

    private static async Task<CommandResult> Assign(CommandContext ctx)
    {
        var v = Values(ctx, "incident", "role", "person");
        var (i, problem) = await FindAsync(ctx, v[0]);
        if (i is null) return problem!;
        if (v[1] is not { } role || !IncidentDesk.Roles.Contains(role.ToLowerInvariant()))
            return CommandResult.Invalid($"Which role? One of {string.Join(", ", IncidentDesk.Roles)}: `incident assign {i.Id} comms @carol`.");
        var people = ctx.Config.Policy.People;
        var who = v[2]?.TrimStart('@');
        if (who is null || !people.ContainsKey(who))
            return CommandResult.Invalid(who is null ? $"Whom? `incident assign {i.Id} {role} @person`." : ArgumentKind.Unknown("person", who, people.Keys) + ".");
        return From(await ctx.Service<IncidentDesk>().AssignAsync(i.Number, role.ToLowerInvariant(), people[who].Id, By(ctx), ctx.Cancellation));
    }

    private static async Task<CommandResult> Update(CommandContext ctx)
    {
        var v = Values(ctx, "incident", "text");
        var (i, problem) = await FindAsync(ctx, v[0]);
        if (i is null) return problem!;
        return From(await ctx.Service<IncidentDesk>().UpdateAsync(i.Number, v[1] ?? "", By(ctx), ctx.Cancellation));
    }

    private static async Task<CommandResult> AddTask(CommandContext ctx)
    {
        var v = Values(ctx, "incident", "text");
        var (i, problem) = await FindAsync(ctx, v[0]);
        if (i is null) return problem!;
        var text = (v[1] ?? "").Trim();
        string? owner = null;
        var last = text.Split(' ').LastOrDefault() ?? "";
        if (last.StartsWith('@'))
        {
            var who = last[1..];
            if (!ctx.Config.Policy.People.ContainsKey(who)) return CommandResult.Invalid(ArgumentKind.Unknown("person", who, ctx.Config.Policy.People.Keys) + ".");
            owner = ctx.Config.Policy.People[who].Id;
            text = text[..^last.Length].TrimEnd();
        }
        return From(await ctx.Service<IncidentDesk>().AddTaskAsync(i.Number, text, owner, By(ctx), ctx.Cancellation));
    }

    private static async Task<CommandResult> Tasks(CommandContext ctx)
    {
        var (i, problem) = await FindAsync(ctx, ctx.Command.Find<string>("incident"));
        if (i is null) return problem!;
        var tasks = await ctx.Service<IncidentDesk>().Store.TasksAsync(i.Number, ctx.Cancellation);
        if (tasks.Count == 0) return CommandResult.Info($"{i.Id} has no follow-up tasks yet; `incident task {i.Id} TEXT @person` adds one.");
        return CommandResult.Info($"{i.Id}: {tasks.Count(t => !t.Done)} open, {tasks.Count(t => t.Done)} done.",
            new Table(["#", "task", "owner", "added by", "state"], tasks.Select(t => (IReadOnlyList<string>)[t.Id.ToString(CultureInfo.InvariantCulture), t.Text, t.Owner ?? "—", t.CreatedBy, t.Done ? "done" : "open"]).ToList()));
    }

    private static async Task<CommandResult> Done(CommandContext ctx)
    {
        var v = Values(ctx, "incident", "task");
        var (i, problem) = await FindAsync(ctx, v[0]);
        if (i is null) return problem!;
        if (!long.TryParse(v[1], NumberStyles.None, CultureInfo.InvariantCulture, out var task)) return CommandResult.Invalid($"Which task? `incident done {i.Id} NUMBER` (`incident tasks {i.Id}` lists them).");
        return From(await ctx.Service<IncidentDesk>().CompleteTaskAsync(i.Number, task, By(ctx), ctx.Cancellation));
    }

    private static async Task<CommandResult> Ack(CommandContext ctx)
    {
        var (i, problem) = await FindAsync(ctx, ctx.Command.Find<string>("incident"));
        if (i is null) return problem!;
        return From(await ctx.Service<IncidentDesk>().AcknowledgeAsync(i.Number, By(ctx), ctx.Cancellation));
    }

    private static async Task<CommandResult> Resolve(CommandContext ctx)
    {
        var v = Values(ctx, "incident", "summary");
        var (i, problem) = await FindAsync(ctx, v[0]);
        if (i is null) return problem!;
        return From(await ctx.Service<IncidentDesk>().ResolveAsync(i.Number, v[1], By(ctx), ctx.Cancellation));
    }

    private static async Task<CommandResult> Reopen(CommandContext ctx)
    {
        var (i, problem) = await FindAsync(ctx, ctx.Command.Find<string>("incident"));
        if (i is null) return problem!;
        return From(await ctx.Service<IncidentDesk>().ReopenAsync(i.Number, By(ctx), ctx.Cancellation));
    }

    private static async Task<CommandResult> Note(CommandContext ctx)
    {
        var v = Values(ctx, "incident", "text");
        var (i, problem) = await FindAsync(ctx, v[0]);
        if (i is null) return problem!;
        return From(await ctx.Service<IncidentDesk>().NoteAsync(i.Number, v[1] ?? "", By(ctx), ctx.Cancellation));
    }

    private static async Task<CommandResult> Mark(CommandContext ctx)
    {
        var v = Values(ctx, "incident", "entry");
        var (i, problem) = await FindAsync(ctx, v[0]);
        if (i is null) return problem!;
        if (!long.TryParse(v[1], NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
            return CommandResult.Invalid($"Which entry? `incident mark {i.Id} NUMBER`, the number shown first on each line of `incident timeline {i.Id}`.");
        var entries = await ctx.Service<IncidentTimeline>().BuildAsync(i, ctx.Cancellation);
        if (entries.All(e => e.Seq != seq)) return CommandResult.Invalid($"Entry {seq} is not in {i.Id}'s timeline; `incident timeline {i.Id}` shows the entry numbers.");
        return From(await ctx.Service<IncidentDesk>().MarkAsync(i.Number, seq, !ctx.Command.Has("unmark"), By(ctx), ctx.Cancellation));
    }

    private static async Task<CommandResult> ShowTimeline(CommandContext ctx)
    {
        var v = Values(ctx, "incident", "only");
        var (i, problem) = await FindAsync(ctx, v[0]);
        if (i is null) return problem!;
        if (v[1] is { } only && !IncidentTimeline.Categories.Contains(only))
            return CommandResult.Invalid(ArgumentKind.Unknown("category", only, IncidentTimeline.Categories) + ".");
        var entries = (await ctx.Service<IncidentTimeline>().BuildAsync(i, ctx.Cancellation)).Where(e => v[1] is null ? e.Category != "capstan" : e.Category == v[1]).ToList();
        var shown = entries.TakeLast(200).ToList();
        return CommandResult.Info($"{i.Id} [{i.Severity}] {i.Title} — {entries.Count} entr{(entries.Count == 1 ? "y" : "ies")}" + (shown.Count < entries.Count ? $" (the last {shown.Count} shown; the UI has them all)" : "") + ":",
            new Table(["#", "time (UTC)", "who", "what", "kind", "key"], shown.Select(e => (IReadOnlyList<string>)[e.Seq.ToString(CultureInfo.InvariantCulture),
                e.At.UtcDateTime.ToString("MM-dd HH:mm:ss", CultureInfo.InvariantCulture), e.Actor, Short(e.Text), e.Category, e.Key ? "★" : ""]).ToList()));
    }

    private static string Short(string s)
    {
        s = s.ReplaceLineEndings(" ");
        return s.Length > 120 ? s[..117] + "…" : s;
    }

    private static async Task<CommandResult> Postmortem(CommandContext ctx)
    {
        var (i, problem) = await FindAsync(ctx, ctx.Command.Find<string>("incident"));
        if (i is null) return problem!;
        var (write, path) = await ctx.Service<PostmortemWriter>().CommitAsync(i, By(ctx), ctx.Command.Spec.Id, ctx.Room, ctx.Cancellation);
        if (write.Refused) return CommandResult.Refuse(write.Refusal!);
        var commit = write.Commit;
        return commit is null
            ? CommandResult.Info($"{path} is already up to date; nothing to commit.")
            : CommandResult.Ok($"Committed {path} ({commit.ShortSha}) as {commit.AuthorName}. Edit it with `git clone` of the config repo, or read it at /incidents/{i.Number}/postmortem.");
    }

    private static async Task<CommandResult> Show(CommandContext ctx)
    {
        var (i, problem) = await FindAsync(ctx, ctx.Command.Find<string>("incident"));
        if (i is null) return problem!;
        var times = await ctx.Service<IncidentFigures>().ForAsync(i.Id, i.OpenedAt, ctx.Cancellation);
        var tasks = await ctx.Service<IncidentDesk>().Store.TasksAsync(i.Number, ctx.Cancellation);
        var text = $"{i.Id} [{i.Severity}] {i.Title} — {i.Status}\n" +
            $"Commander {i.Commander}" + (i.Comms is null ? "" : $", comms {i.Comms}") + (i.Scribe is null ? "" : $", scribe {i.Scribe}") + $"; room #{i.Room}\n" +
            (i.Apps.Count > 0 ? $"Affects {string.Join(", ", i.Apps)} in {i.Environment}\n" : "") +
            $"Opened {i.OpenedAt:yyyy-MM-dd HH:mm} UTC by {i.OpenedBy}; time to acknowledge {PeriodFigures.Show(times?.ToAcknowledge)}, to resolve {PeriodFigures.Show(times?.ToResolve)}\n" +
            $"Tasks: {tasks.Count(t => !t.Done)} open, {tasks.Count(t => t.Done)} done" + (i.Postmortem is null ? "" : $"\nPostmortem: postmortems/{i.Id}.md ({i.Postmortem[..7]})");
        return CommandResult.Info(text);
    }

    private static async Task<CommandResult> Stats(CommandContext ctx)
    {
        var period = ctx.Command.FindValue<TimeSpan>("period") ?? TimeSpan.FromDays(30);
        var f = await ctx.Service<IncidentFigures>().PeriodAsync(period, ctx.Cancellation);
        return CommandResult.Info(StatsLine(f, period), new Table(["severity", "incidents", "MTTA", "MTTR"],
            f.BySeverity.Select(s => (IReadOnlyList<string>)[s.Severity, s.Count.ToString(CultureInfo.InvariantCulture), PeriodFigures.Show(s.Mtta), PeriodFigures.Show(s.Mttr)]).ToList()));
    }

    internal static string StatsLine(PeriodFigures f, TimeSpan period) =>
        $"Last {DurationText.Format(period)}: {f.Opened} incident(s), {f.Acknowledged} acknowledged, {f.Resolved} resolved; MTTA {PeriodFigures.Show(f.Mtta)}, MTTR {PeriodFigures.Show(f.Mttr)}.";

    private static async Task<CommandResult> List(CommandContext ctx)
    {
        var all = ctx.Command.Find<string>("which") == "all";
        var period = ctx.Command.FindValue<TimeSpan>("period") ?? TimeSpan.FromDays(30);
        var desk = ctx.Service<IncidentDesk>();
        var list = await desk.Store.ListAsync(!all, 50, ctx.Cancellation);
        var figures = ctx.Service<IncidentFigures>();
        var f = await figures.PeriodAsync(period, ctx.Cancellation);
        var times = list.Count == 0 ? [] : (await figures.TimesAsync(list.Min(x => x.OpenedAt).AddSeconds(-1), ctx.Cancellation)).ToDictionary(t => t.Incident);
        var summary = StatsLine(f, period);
        if (list.Count == 0) return CommandResult.Info((all ? "No incidents yet." : "No open incidents. `incidents all` lists resolved ones too.") + " " + summary);
        return CommandResult.Info((all ? "Incidents" : "Open incidents") + $" ({list.Count}). {summary}",
            new Table(["incident", "severity", "status", "title", "commander", "opened (UTC)", "TTA", "TTR"],
                list.Select(i => (IReadOnlyList<string>)[i.Id, i.Severity, i.Status, i.Title, i.Commander, i.OpenedAt.UtcDateTime.ToString("MM-dd HH:mm", CultureInfo.InvariantCulture),
                    PeriodFigures.Show(times.GetValueOrDefault(i.Id)?.ToAcknowledge), PeriodFigures.Show(times.GetValueOrDefault(i.Id)?.ToResolve)]).ToList()));
    }
}
