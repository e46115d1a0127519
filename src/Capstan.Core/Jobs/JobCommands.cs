using System.Globalization;
using Capstan.Core.Commands;

namespace Capstan.Core.Jobs;

/// <summary>The commands over jobs: <c>jobs</c> lists running and recent ones, <c>job ID</c> shows one with its output tail.</summary>
public sealed class JobCommands : ICommandModule
{
    /// <summary>How many output lines <c>job ID</c> shows in chat; the rest stays on the job page.</summary>
    public const int TailLines = 15;

    private static readonly Argument<int> Count = new("count", ArgumentKind.Int);
    private static readonly Argument<string> Id = new("id", ArgumentKind.Text);

    public void Register(CommandRegistry registry)
    {
        registry.Add(new CommandSpec("jobs", "Jobs", "List running and recent jobs (diagnostics, downloads, custom commands)")
            .Optional(Count, "how many recent jobs (default 15)")
            .Needs(CoreCommands.ReadPermission)
            .Example("jobs", "jobs 50")
            .Runs<Jobs>(List));
        registry.Add(new CommandSpec("job", "Jobs", "Show one job: its state, progress and the end of its output")
            .Required(Id, "the job id, such as j12")
            .Needs(CoreCommands.ReadPermission)
            .Example("job j12")
            .Runs<Jobs, JobRunner>(Show));
    }

    private static async Task<CommandResult> List(CommandContext ctx, Jobs jobs)
    {
        var count = ctx.Get(Count, 15);
        if (count is < 1 or > 500) return CommandResult.Invalid($"jobs shows 1 to 500 jobs; {count} is out of range.");
        var list = await jobs.ListAsync(count, ctx.Cancellation);
        if (list.Count == 0) return CommandResult.Info("No jobs yet. Diagnostics (`diag`), downloads (`fetch`) and long custom commands run as jobs.");
        var rows = list.Select(j => (IReadOnlyList<string>)[j.Id, j.Kind, Trim(j.Title, 40), State(j), j.Actor, j.CreatedAt.ToString("MM-dd HH:mm:ss", CultureInfo.InvariantCulture), Trim(j.Summary ?? j.Status, 60)]).ToList();
        var running = list.Count(j => !j.Finished);
        return CommandResult.Info($"{running} running, {list.Count - running} recent (`job ID` shows one, `cancel ID` stops one):",
            new Table(["id", "kind", "what", "state", "by", "started (UTC)", "detail"], rows));
    }

    private static async Task<CommandResult> Show(CommandContext ctx, Jobs jobs, JobRunner runner)
    {
        var id = ctx.Get(Id);
        if (!JobId.TryParse(id, out _)) return CommandResult.Invalid($"'{id}' is not a job id; job ids look like j12. `jobs` lists them.");
        var view = await jobs.GetAsync(id, ctx.Cancellation);
        if (view is null) return CommandResult.Invalid($"There is no job {id}. `jobs` lists running and recent ones.");
        var j = view.Job;
        var took = (j.EndedAt ?? ctx.Clock.GetUtcNow()) - j.CreatedAt;
        var text = $"Job {j.Id} · {j.Title} ({j.Kind}) by {j.Actor} — {State(j)}, {(j.Finished ? "took" : "running for")} {DurationText.Format(took)}, timeout {DurationText.Format(j.Timeout)}.";
        if (j.Summary is { Length: > 0 } s) text += "\n" + s;
        else if (j.Status.Length > 0) text += "\n" + j.Status;
        if (view.Output.Count > 0)
        {
            var tail = view.Output.TakeLast(TailLines).ToList();
            text += (view.Output.Count > tail.Count ? $"\nLast {tail.Count} of {view.Output.Count} lines (all of them: {runner.PageFor(j.Id)}):" : "\nOutput:")
                + "\n```\n" + string.Join('\n', tail) + "\n```";
        }
        return CommandResult.Info(text, view.Result);
    }

    private static string State(JobRecord j) => j.State switch
    {
        JobState.Running => j.Percent is { } p ? $"running {p.ToString("0", CultureInfo.InvariantCulture)}%" : "running",
        JobState.TimedOut => "timed out",
        _ => j.State.ToString().ToLowerInvariant(),
    };

    private static string Trim(string s, int max) => s.Length > max ? s[..(max - 1)] + "…" : s;
}
