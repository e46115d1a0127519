using System.Globalization;
using System.Text;
using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Incidents.Desk;
using Capstan.Incidents.Figures;
using Capstan.Incidents.Store;
using Capstan.Incidents.Timeline;
using Markdig;

namespace Capstan.Incidents.Postmortems;

/// <summary>
/// Drafts an incident's review as Markdown — summary, impact, time to acknowledge and resolve, the key entries and
/// the whole timeline, contributing deploys, follow-up tasks — and commits it to the config repo as
/// <c>postmortems/INC-N.md</c> with the person who asked as the author. Running it again updates the draft.
/// </summary>
public sealed class PostmortemWriter(IncidentDesk desk, IncidentTimeline timeline, IncidentFigures figures, ConfigRepo repo, ConfigWriter writer)
{
    public static string PathOf(Incident i) => $"postmortems/{i.Id}.md";

    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UseAdvancedExtensions().DisableHtml().Build();

    /// <summary>Markdown as HTML for the UI; raw HTML in the document is shown as text, never run.</summary>
    public static string Render(string markdown) => Markdown.ToHtml(markdown, Pipeline);

    /// <summary>The postmortem as committed, or null when none was written yet.</summary>
    public string? Committed(Incident i)
    {
        var head = repo.HeadSha();
        return head is null ? null : repo.ReadFiles(head).GetValueOrDefault(PathOf(i));
    }

    public async Task<string> DraftAsync(Incident i, CancellationToken ct)
    {
        var entries = await timeline.BuildAsync(i, ct);
        var times = await figures.ForAsync(i.Id, i.OpenedAt, ct);
        var tasks = await desk.Store.TasksAsync(i.Number, ct);
        var level = desk.Settings.Severity(i.Severity);
        var sb = new StringBuilder();
        string When(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";
        string Cell(string s) => s.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

        sb.Append($"# {i.Id}: {i.Title}\n\n");
        sb.Append($"- **Severity:** {i.Severity}" + (level is null ? "" : $" — {level.Meaning}") + "\n");
        sb.Append($"- **Status:** {i.Status}\n");
        sb.Append($"- **Opened:** {When(i.OpenedAt)} by {i.OpenedBy}\n");
        if (i.ResolvedAt is { } r) sb.Append($"- **Resolved:** {When(r)}\n");
        sb.Append($"- **Commander:** {i.Commander}" + (i.Comms is null ? "" : $" · **Comms:** {i.Comms}") + (i.Scribe is null ? "" : $" · **Scribe:** {i.Scribe}") + "\n");
        sb.Append($"- **Time to acknowledge:** {PeriodFigures.Show(times?.ToAcknowledge)}\n");
        sb.Append($"- **Time to resolve:** {PeriodFigures.Show(times?.ToResolve)}\n\n");

        sb.Append("## Summary\n\n").Append(i.Summary ?? "_What happened, in two or three sentences._").Append("\n\n");

        var severities = entries.Where(e => e.Kind == "incident.severity").Select(e => e.Text).ToList();
        sb.Append("## Impact\n\n");
        sb.Append(i.Apps.Count > 0 ? $"Affected: {string.Join(", ", i.Apps)} in {i.Environment}.\n" : $"Environment: {i.Environment}.\n");
        sb.Append($"Duration: {(i.ResolvedAt is { } end ? DurationText.Format(end - i.OpenedAt) : "still open")}.\n");
        if (severities.Count > 0) sb.Append("Severity changes: ").Append(string.Join("; ", severities)).Append(".\n");
        sb.Append("\n_Who was affected, how, and for how long._\n\n");

        var key = entries.Where(e => e.Key).ToList();
        sb.Append("## Key moments\n\n");
        if (key.Count == 0) sb.Append("_No entries were marked as key; mark them in the incident's timeline in the UI._\n\n");
        else
        {
            foreach (var e in key) sb.Append($"- **{When(e.At)}** {e.Actor}: {e.Text.ReplaceLineEndings(" ")}\n");
            sb.Append('\n');
        }

        var deploys = entries.Where(e => e.Category == "delivery").ToList();
        sb.Append("## Contributing deploys\n\n");
        if (deploys.Count == 0) sb.Append($"No deploy, rollback, approval or drift of the affected apps in {i.Environment} while the incident was open.\n\n");
        else
        {
            foreach (var e in deploys) sb.Append($"- {When(e.At)} — {e.Text.ReplaceLineEndings(" ")} ({e.Actor})\n");
            sb.Append('\n');
        }

        sb.Append("## Follow-up tasks\n\n");
        if (tasks.Count == 0) sb.Append("_None yet: add them with `incident task TEXT @person`._\n\n");
        else
        {
            foreach (var t in tasks) sb.Append($"- [{(t.Done ? "x" : " ")}] {t.Text}" + (t.Owner is null ? "" : $" (@{t.Owner})") + $" — task {t.Id}\n");
            sb.Append('\n');
        }

        sb.Append("## Timeline\n\n| time (UTC) | who | what | |\n|---|---|---|---|\n");
        foreach (var e in entries.Where(e => e.Category is not ("capstan" or "command")))
            sb.Append($"| {e.At.UtcDateTime:HH:mm:ss} | {Cell(e.Actor)} | {Cell(e.Text)} | {(e.Key ? "★" : "")} |\n");
        sb.Append("\n## What went well, what did not, where we got lucky\n\n_To be written in the review._\n");
        return sb.ToString();
    }

    /// <summary>The permission committing a postmortem needs: the document goes into the config repo in the person's name.</summary>
    public const string Permission = ConfigWriter.WritePermission;

    /// <summary>
    /// Writes (or rewrites) the postmortem and commits it with the person as author, if the policy grants them
    /// <see cref="Permission"/>; the write holds the commit (null if unchanged) or the refusal naming the permission.
    /// </summary>
    public async Task<(ConfigWrite Write, string Path)> CommitAsync(Incident i, string person, string command, string? room, CancellationToken ct)
    {
        var markdown = await DraftAsync(i, ct);
        var path = PathOf(i);
        var write = await writer.CommitAsync(person, new CommitGrant(Permission, command, null, room),
            new ConfigChange($"Postmortem for {i.Id}: {i.Title}", ConfigRepo.CapstanCommitter,
                files => files.GetValueOrDefault(path) == markdown ? null : new Dictionary<string, string?> { [path] = markdown },
                [new("Incident", i.Id)]), ct);
        if (write.Commit is { } commit) await desk.PostmortemCommittedAsync(i, commit.Sha, path, person, ct);
        return (write, path);
    }
}
