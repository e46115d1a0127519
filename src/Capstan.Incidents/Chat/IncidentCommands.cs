using System.Globalization;
using Capstan.Core;
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
    private static readonly Argument<string> Severity = new("severity", ArgumentKind.Named("severity", c => (c.Config.Find<IncidentsConfig>() ?? IncidentsSection.Default).SeverityNames.ToList()));
    /// <summary>The severity <c>incident sev</c> moves to: checked by the handler, since in an incident's room it may be the first word.</summary>
    private static readonly Argument<string> NewSeverity = new("severity", ArgumentKind.Text);
    private static readonly Argument<string> Id = new("incident", ArgumentKind.Text);
    private static readonly Argument<string> Title = new("title", ArgumentKind.Text);
    private static readonly Argument<string> Apps = new("app", ArgumentKind.Text);
    private static readonly Argument<string> Commander = new("commander", ArgumentKind.Person);
    private static readonly Argument<EnvironmentName> Env = new("env", ArgumentKind.Environment);
    private static readonly Argument<string> Reason = new("reason", ArgumentKind.Text);
    private static readonly Argument<string> Role = new("role", ArgumentKind.Text);
    private static readonly Argument<string> Person = new("person", ArgumentKind.Text);
    private static readonly Argument<string> Body = new("text", ArgumentKind.Text);
    private static readonly Argument<string> TaskNumber = new("task", ArgumentKind.Text);
    private static readonly Argument<string> Summary = new("summary", ArgumentKind.Text);
    private static readonly Argument<string> Entry = new("entry", ArgumentKind.Text);
    private static readonly Argument<string> Only = new("only", ArgumentKind.Text);
    private static readonly Argument<TimeSpan> Period = new("period", ArgumentKind.Duration);
    private static readonly Argument<string> Which = new("which", ArgumentKind.Enum("open", "all"));
    private static readonly FlagSpec Unmark = new("unmark", "take the mark away");

    public void Register(CommandRegistry registry)
    {
        registry.Add(new CommandSpec("incident open", Group, "Declare an incident: its own room, you as commander, the severity's people notified")
            .Alias("incident declare")
            .Required(Title, "what is wrong, in quotes").Required(Severity)
            .Optional(Apps, "affected apps, comma-separated").Optional(Commander, "someone else to lead it")
            .Optional(Env, "the affected environment (default: incidents.environment, prod)")
            .Needs(Permission).Effects(SideEffect.Change)
            .Example("incident open \"checkout latency\" sev2 app=api", "incident open \"login down\" sev1 app=web commander=@bob")
            .Runs<IncidentDesk>(Open));
        registry.Add(new CommandSpec("incident sev", Group, "Reclassify an incident: old→new announced, only the people the new severity adds notified")
            .Alias("incident severity", "incident reclassify")
            .Optional(Id, IdHelp).Optional(NewSeverity, "the new severity").Rest(Reason, false, "why")
            .Needs(Permission).Effects(SideEffect.Change).Example("incident sev INC-3 sev1 checkout fully down", "incident sev sev3").Runs<IncidentDesk>(Reclassify));
        registry.Add(new CommandSpec("incident assign", Group, "Give a role (commander, comms, scribe) to a person; handoffs are recorded")
            .Optional(Id, IdHelp).Optional(Role, "commander, comms or scribe").Optional(Person, "@person")
            .Needs(Permission).Effects(SideEffect.Change).Example("incident assign INC-3 comms @carol", "incident assign commander @bob").Runs<IncidentDesk>(Assign));
        registry.Add(new CommandSpec("incident update", Group, "Post a status update to the incident room and the stakeholders' rooms")
            .Optional(Id, IdHelp).Rest(Body, false, "the update")
            .Needs(Permission).Effects(SideEffect.Change).Example("incident update INC-3 rolled back api to 1.4.1; errors falling").Runs<IncidentDesk>(Update));
        registry.Add(new CommandSpec("incident task", Group, "Add a follow-up task, optionally for someone (@person at the end)")
            .Optional(Id, IdHelp).Rest(Body, false, "what needs doing, then @person")
            .Needs(Permission).Effects(SideEffect.Change).Example("incident task INC-3 alert on queue depth @bob").Runs<IncidentDesk>(AddTask));
        registry.Add(new CommandSpec("incident tasks", Group, "List an incident's follow-up tasks")
            .Optional(Id, IdHelp).Needs(Permission).Example("incident tasks INC-3").Runs<IncidentDesk>(Tasks));
        registry.Add(new CommandSpec("incident done", Group, "Mark a follow-up task done")
            .Optional(Id, IdHelp).Optional(TaskNumber, "the task number")
            .Needs(Permission).Effects(SideEffect.Change).Example("incident done INC-3 2").Runs<IncidentDesk>(Done));
        registry.Add(new CommandSpec("incident ack", Group, "Acknowledge an incident: you are on it, escalation stops")
            .Alias("incident acknowledge", "ack")
            .Optional(Id, IdHelp).Needs(Permission).Effects(SideEffect.Change).Example("incident ack INC-3").Runs<IncidentDesk>(Ack));
        registry.Add(new CommandSpec("incident resolve", Group, "Resolve an incident, with a one-line summary")
            .Optional(Id, IdHelp).Rest(Summary, false, "what fixed it")
            .Needs(Permission).Effects(SideEffect.Change).Example("incident resolve INC-3 rolled back the bad deploy").Runs<IncidentDesk>(Resolve));
        registry.Add(new CommandSpec("incident reopen", Group, "Reopen a resolved incident")
            .Optional(Id, IdHelp).Needs(Permission).Effects(SideEffect.Change).Example("incident reopen INC-3").Runs<IncidentDesk>(Reopen));
        registry.Add(new CommandSpec("incident note", Group, "Add a note to an incident's timeline")
            .Optional(Id, IdHelp).Rest(Body, false, "the note")
            .Needs(Permission).Effects(SideEffect.Change).Example("incident note INC-3 the cache hit rate dropped at 14:02").Runs<IncidentDesk>(Note));
        registry.Add(new CommandSpec("incident mark", Group, "Mark a timeline entry as key (it leads the postmortem's timeline)")
            .Optional(Id, IdHelp).Optional(Entry, "the entry number shown by `incident timeline`")
            .Flag(Unmark)
            .Needs(Permission).Effects(SideEffect.Change).Example("incident mark INC-3 1042").Runs<IncidentDesk, IncidentTimeline>(Mark));
        registry.Add(new CommandSpec("incident timeline", Group, "Everything said and done in an incident, in order, with who and when")
            .Optional(Id, IdHelp).Optional(Only, "one category: " + string.Join(", ", IncidentTimeline.Categories))
            .Needs(Permission).Example("incident timeline INC-3", "incident timeline INC-3 delivery").Runs<IncidentDesk, IncidentTimeline>(ShowTimeline));
        registry.Add(new CommandSpec("incident postmortem", Group, "Draft the review document and commit it to the config repo as postmortems/INC-N.md")
            .Optional(Id, IdHelp).Needs(PostmortemWriter.Permission).Effects(SideEffect.Change).Example("incident postmortem INC-3").Runs<IncidentDesk, PostmortemWriter>(Postmortem));
        registry.Add(new CommandSpec("incident show", Group, "An incident's state, roles, figures and tasks")
            .Alias("incident")
            .Optional(Id, IdHelp).Needs(Permission).Example("incident show INC-3").Runs<IncidentDesk, IncidentFigures>(Show));
        registry.Add(new CommandSpec("incident stats", Group, "MTTA and MTTR over a period, overall and per severity, from the ledger")
            .Keyword("last", Period, description: "how far back (default 30d)")
            .Needs(Permission).Example("incident stats", "incident stats last 7d").Runs<IncidentFigures>(Stats));
        registry.Add(new CommandSpec("incidents", Group, "List incidents (open ones, or all) with time to acknowledge and resolve")
            .Optional(Which, "open (default) or all")
            .Keyword("last", Period, description: "the period for MTTA/MTTR (default 30d)")
            .Needs(Permission).Example("incidents", "incidents all last 7d").Runs<IncidentDesk, IncidentFigures>(List));
    }

    /// <summary>
    /// Optional INC-N first: in an incident's room, when the first value is not an incident id, the values move one
    /// place right (the last ones joining the rest of the line), so `incident sev sev1 reason` works there.
    /// Elsewhere the id is needed, and a first value that is not one is reported as such.
    /// </summary>
    internal static string?[] Values(CommandContext ctx, params Argument<string>[] arguments)
    {
        var raw = arguments.Select(ctx.Find).ToArray();
        if (raw[0] is null || IncidentId.Parse(raw[0]) is not null || !ctx.Room.StartsWith("inc-", StringComparison.Ordinal)) return raw;
        var shifted = new string?[raw.Length];
        for (var k = 1; k < raw.Length; k++) shifted[k] = raw[k - 1];
        if (raw[^1] is { } last) shifted[^1] = shifted[^1] is null ? last : shifted[^1] + " " + last;
        return shifted;
    }

    private static string By(CommandContext ctx) => ctx.Actor.Person?.Id ?? ctx.Actor.LedgerName;

    private static async Task<(Incident? Incident, CommandResult? Problem)> FindAsync(CommandContext ctx, IncidentDesk desk, string? id)
    {
        await desk.OpenRoomsAsync(ctx.Cancellation);
        var (i, problem) = await desk.FindAsync(id, ctx.Room, ctx.Cancellation);
        return (i, problem is null ? null : CommandResult.Invalid(problem));
    }

    private static CommandResult From(DeskResult r) => r.Ok ? (r.Changed ? CommandResult.Ok(r.Text) : CommandResult.Info(r.Text)) : CommandResult.Fail(r.Text);

    private static async Task<CommandResult> Open(CommandContext ctx, IncidentDesk desk)
    {
        await desk.OpenRoomsAsync(ctx.Cancellation);
        var apps = ctx.Get(Apps, "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        return From(await desk.OpenAsync(ctx.Get(Title), ctx.Get(Severity), By(ctx), ctx.Find(Commander),
            apps, ctx.Find(Env)?.Value, "chat", ctx.Cancellation));
    }

    private static async Task<CommandResult> Reclassify(CommandContext ctx, IncidentDesk desk)
    {
        var v = Values(ctx, Id, NewSeverity, Reason);
        var (i, problem) = await FindAsync(ctx, desk, v[0]);
        if (i is null) return problem!;
        var settings = desk.Settings;
        if (v[1] is null) return CommandResult.Invalid($"Say the new severity: `incident sev {i.Id} SEVERITY [reason]`, one of {string.Join(", ", settings.SeverityNames)}.");
        if (settings.Severity(v[1]!) is null) return CommandResult.Invalid(ArgumentKind.Unknown("severity", v[1]!, settings.SeverityNames) + ".");
        return From(await desk.ReclassifyAsync(i.Number, v[1]!, v[2], By(ctx), ctx.Cancellation));
    }

    private static async Task<CommandResult> Assign(CommandContext ctx, IncidentDesk desk)
    {
        var v = Values(ctx, Id, Role, Person);
        var (i, problem) = await FindAsync(ctx, desk, v[0]);
        if (i is null) return problem!;
        if (v[1] is not { } role || !IncidentDesk.Roles.Contains(role.ToLowerInvariant()))
            return CommandResult.Invalid($"Which role? One of {string.Join(", ", IncidentDesk.Roles)}: `incident assign {i.Id} comms @carol`.");
        var people = ctx.Config.Policy.People;
        var who = v[2]?.TrimStart('@');
        if (who is null || !people.ContainsKey(who))
            return CommandResult.Invalid(who is null ? $"Whom? `incident assign {i.Id} {role} @person`." : ArgumentKind.Unknown("person", who, people.Keys) + ".");
        return From(await desk.AssignAsync(i.Number, role.ToLowerInvariant(), people[who].Id, By(ctx), ctx.Cancellation));
    }

    private static async Task<CommandResult> Update(CommandContext ctx, IncidentDesk desk)
    {
        var v = Values(ctx, Id, Body);
        var (i, problem) = await FindAsync(ctx, desk, v[0]);
        if (i is null) return problem!;
        return From(await desk.UpdateAsync(i.Number, v[1] ?? "", By(ctx), ctx.Cancellation));
    }

    private static async Task<CommandResult> AddTask(CommandContext ctx, IncidentDesk desk)
    {
        var v = Values(ctx, Id, Body);
        var (i, problem) = await FindAsync(ctx, desk, v[0]);
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
        return From(await desk.AddTaskAsync(i.Number, text, owner, By(ctx), ctx.Cancellation));
    }

    private static async Task<CommandResult> Tasks(CommandContext ctx, IncidentDesk desk)
    {
        var (i, problem) = await FindAsync(ctx, desk, ctx.Find(Id));
        if (i is null) return problem!;
        var tasks = await desk.Store.TasksAsync(i.Number, ctx.Cancellation);
        if (tasks.Count == 0) return CommandResult.Info($"{i.Id} has no follow-up tasks yet; `incident task {i.Id} TEXT @person` adds one.");
        return CommandResult.Info($"{i.Id}: {tasks.Count(t => !t.Done)} open, {tasks.Count(t => t.Done)} done.",
            new Table(["#", "task", "owner", "added by", "state"], tasks.Select(t => (IReadOnlyList<string>)[t.Id.ToString(CultureInfo.InvariantCulture), t.Text, t.Owner ?? "—", t.CreatedBy, t.Done ? "done" : "open"]).ToList()));
    }

    private static async Task<CommandResult> Done(CommandContext ctx, IncidentDesk desk)
    {
        var v = Values(ctx, Id, TaskNumber);
        var (i, problem) = await FindAsync(ctx, desk, v[0]);
        if (i is null) return problem!;
        if (!long.TryParse(v[1], NumberStyles.None, CultureInfo.InvariantCulture, out var task)) return CommandResult.Invalid($"Which task? `incident done {i.Id} NUMBER` (`incident tasks {i.Id}` lists them).");
        return From(await desk.CompleteTaskAsync(i.Number, task, By(ctx), ctx.Cancellation));
    }

    private static async Task<CommandResult> Ack(CommandContext ctx, IncidentDesk desk)
    {
        var (i, problem) = await FindAsync(ctx, desk, ctx.Find(Id));
        if (i is null) return problem!;
        return From(await desk.AcknowledgeAsync(i.Number, By(ctx), ctx.Cancellation));
    }

    private static async Task<CommandResult> Resolve(CommandContext ctx, IncidentDesk desk)
    {
        var v = Values(ctx, Id, Summary);
        var (i, problem) = await FindAsync(ctx, desk, v[0]);
        if (i is null) return problem!;
        return From(await desk.ResolveAsync(i.Number, v[1], By(ctx), ctx.Cancellation));
    }

    private static async Task<CommandResult> Reopen(CommandContext ctx, IncidentDesk desk)
    {
        var (i, problem) = await FindAsync(ctx, desk, ctx.Find(Id));
        if (i is null) return problem!;
        return From(await desk.ReopenAsync(i.Number, By(ctx), ctx.Cancellation));
    }

    private static async Task<CommandResult> Note(CommandContext ctx, IncidentDesk desk)
    {
        var v = Values(ctx, Id, Body);
        var (i, problem) = await FindAsync(ctx, desk, v[0]);
        if (i is null) return problem!;
        return From(await desk.NoteAsync(i.Number, v[1] ?? "", By(ctx), ctx.Cancellation));
    }

    private static async Task<CommandResult> Mark(CommandContext ctx, IncidentDesk desk, IncidentTimeline timeline)
    {
        var v = Values(ctx, Id, Entry);
        var (i, problem) = await FindAsync(ctx, desk, v[0]);
        if (i is null) return problem!;
        if (!long.TryParse(v[1], NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
            return CommandResult.Invalid($"Which entry? `incident mark {i.Id} NUMBER`, the number shown first on each line of `incident timeline {i.Id}`.");
        var entries = await timeline.BuildAsync(i, ctx.Cancellation);
        if (entries.All(e => e.Seq != seq)) return CommandResult.Invalid($"Entry {seq} is not in {i.Id}'s timeline; `incident timeline {i.Id}` shows the entry numbers.");
        return From(await desk.MarkAsync(i.Number, seq, !ctx.Has(Unmark), By(ctx), ctx.Cancellation));
    }

    private static async Task<CommandResult> ShowTimeline(CommandContext ctx, IncidentDesk desk, IncidentTimeline timeline)
    {
        var v = Values(ctx, Id, Only);
        var (i, problem) = await FindAsync(ctx, desk, v[0]);
        if (i is null) return problem!;
        if (v[1] is { } only && !IncidentTimeline.Categories.Contains(only))
            return CommandResult.Invalid(ArgumentKind.Unknown("category", only, IncidentTimeline.Categories) + ".");
        var entries = (await timeline.BuildAsync(i, ctx.Cancellation)).Where(e => v[1] is null ? e.Category != "capstan" : e.Category == v[1]).ToList();
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

    private static async Task<CommandResult> Postmortem(CommandContext ctx, IncidentDesk desk, PostmortemWriter writer)
    {
        var (i, problem) = await FindAsync(ctx, desk, ctx.Find(Id));
        if (i is null) return problem!;
        var (write, path) = await writer.CommitAsync(i, By(ctx), ctx.Command.Spec.Id, ctx.Room, ctx.Cancellation);
        if (write.Refused) return CommandResult.Refuse(write.Refusal!);
        var commit = write.Commit;
        return commit is null
            ? CommandResult.Info($"{path} is already up to date; nothing to commit.")
            : CommandResult.Ok($"Committed {path} ({commit.ShortSha}) as {commit.AuthorName}. Edit it with `git clone` of the config repo, or read it at /incidents/{i.Number}/postmortem.");
    }

    private static async Task<CommandResult> Show(CommandContext ctx, IncidentDesk desk, IncidentFigures figures)
    {
        var (i, problem) = await FindAsync(ctx, desk, ctx.Find(Id));
        if (i is null) return problem!;
        var times = await figures.ForAsync(i.Id, i.OpenedAt, ctx.Cancellation);
        var tasks = await desk.Store.TasksAsync(i.Number, ctx.Cancellation);
        var text = $"{i.Id} [{i.Severity}] {i.Title} — {i.Status}\n" +
            $"Commander {i.Commander}" + (i.Comms is null ? "" : $", comms {i.Comms}") + (i.Scribe is null ? "" : $", scribe {i.Scribe}") + $"; room #{i.Room}\n" +
            (i.Apps.Count > 0 ? $"Affects {string.Join(", ", i.Apps)} in {i.Environment}\n" : "") +
            $"Opened {i.OpenedAt:yyyy-MM-dd HH:mm} UTC by {i.OpenedBy}; time to acknowledge {PeriodFigures.Show(times?.ToAcknowledge)}, to resolve {PeriodFigures.Show(times?.ToResolve)}\n" +
            $"Tasks: {tasks.Count(t => !t.Done)} open, {tasks.Count(t => t.Done)} done" + (i.Postmortem is null ? "" : $"\nPostmortem: postmortems/{i.Id}.md ({i.Postmortem[..7]})");
        return CommandResult.Info(text);
    }

    private static async Task<CommandResult> Stats(CommandContext ctx, IncidentFigures figures)
    {
        var period = ctx.Get(Period, TimeSpan.FromDays(30));
        var f = await figures.PeriodAsync(period, ctx.Cancellation);
        return CommandResult.Info(StatsLine(f, period), new Table(["severity", "incidents", "MTTA", "MTTR"],
            f.BySeverity.Select(s => (IReadOnlyList<string>)[s.Severity, s.Count.ToString(CultureInfo.InvariantCulture), PeriodFigures.Show(s.Mtta), PeriodFigures.Show(s.Mttr)]).ToList()));
    }

    internal static string StatsLine(PeriodFigures f, TimeSpan period) =>
        $"Last {DurationText.Format(period)}: {f.Opened} incident(s), {f.Acknowledged} acknowledged, {f.Resolved} resolved; MTTA {PeriodFigures.Show(f.Mtta)}, MTTR {PeriodFigures.Show(f.Mttr)}.";

    private static async Task<CommandResult> List(CommandContext ctx, IncidentDesk desk, IncidentFigures figures)
    {
        var all = ctx.Find(Which) == "all";
        var period = ctx.Get(Period, TimeSpan.FromDays(30));
        var list = await desk.Store.ListAsync(!all, 50, ctx.Cancellation);
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
