using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Jobs;
using Capstan.Core.Ledger;
using Capstan.Core.Policy;
using Capstan.Web.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Capstan.Web.JobPages;

/// <summary>A job as the JSON API and the jobs pages show it.</summary>
public sealed record JobSummary(
    string Id, string Kind, string Title, string Actor, string Room, string Thread, string? ProgressMessage, string State, bool Finished,
    double? Percent, string Status, string? Summary, string Timeout, DateTimeOffset CreatedAt, DateTimeOffset? EndedAt, string Page)
{
    public static JobSummary From(JobRecord j, JobRunner runner) => new(
        j.Id, j.Kind, j.Title, j.Actor, j.Room, j.Thread, j.ProgressMessage, StateWord(j.State), j.Finished,
        j.Percent, j.Status, j.Summary, DurationText.Format(j.Timeout), j.CreatedAt, j.EndedAt, runner.PageFor(j.Id));

    /// <summary>The state as one lower-case word (timed-out has a dash so it reads as one).</summary>
    public static string StateWord(JobState s) => s == JobState.TimedOut ? "timed-out" : s.ToString().ToLowerInvariant();
}

/// <summary>One job in full: output lines from <c>outputFrom</c> on, the final table and the named result tables.</summary>
public sealed record JobDetail(JobSummary Job, long OutputFrom, long OutputCount, IReadOnlyList<string> Output, Table? Result, IReadOnlyList<JobTable> Tables);

/// <summary>
/// The jobs pages (<c>/jobs</c>: running and recent; <c>/jobs/ID</c>: one job with its full output and results) and
/// their JSON (<c>GET /api/jobs</c>, <c>GET /api/jobs/ID?from=LINE</c>). Pages update live from the room event stream:
/// a job's progress message is edited as it runs.
/// </summary>
public static class JobsApi
{
    /// <summary>The most jobs one list request returns.</summary>
    public const int MaxList = 500;

    public static void MapJobs(this IEndpointRouteBuilder app)
    {
        app.MapGet("/jobs", () => Pages.Page("jobs.html"));
        app.MapGet("/jobs/{id}", () => Pages.Page("job.html"));

        var api = app.MapGroup("/api/jobs").RequireSignIn();
        api.MapGet("", async (int? limit, Caller caller, ConfigState config, JobRunner runner, CancellationToken ct) =>
        {
            if (Reader(caller, config) is { } problem) return problem;
            var count = limit ?? 50;
            if (count is < 1 or > MaxList) return Results.Json(new { error = $"limit is 1 to {MaxList} jobs; {count} is out of range." }, statusCode: 400);
            var jobs = await runner.Jobs.ListAsync(count, ct);
            return Results.Json(jobs.Select(j => JobSummary.From(j, runner)), Ledger.Json);
        });
        api.MapGet("/{id}", async (string id, long? from, Caller caller, ConfigState config, JobRunner runner, CancellationToken ct) =>
        {
            if (Reader(caller, config) is { } problem) return problem;
            if (!JobId.TryParse(id, out _))
                return Results.Json(new { error = $"'{id}' is not a job id; job ids look like j12. GET /api/jobs lists them." }, statusCode: 400);
            if (from is < 0) return Results.Json(new { error = $"from is a line number, 0 or more; {from} is not." }, statusCode: 400);
            var view = await runner.Jobs.GetAsync(id, ct, from ?? 0);
            if (view is null) return Results.Json(new { error = $"There is no job {id}. GET /api/jobs lists running and recent ones." }, statusCode: 404);
            return Results.Json(new JobDetail(JobSummary.From(view.Job, runner), view.OutputFrom, view.OutputCount, view.Output, view.Result, view.Tables), Ledger.Json);
        });
    }

    /// <summary>Null when the caller may read jobs (the read permission, as for `jobs` in chat); otherwise the answer to send.</summary>
    private static IResult? Reader(Caller caller, ConfigState config)
    {
        var policy = config.Current.Policy;
        var decision = policy.Check(policy.Identify(AccessPolicy.CapstanPlatform, caller.Person.Id), CoreCommands.ReadPermission, "jobs", null, null);
        return decision.Allowed ? null : Results.Json(new { error = decision.Reason }, statusCode: 403);
    }
}
