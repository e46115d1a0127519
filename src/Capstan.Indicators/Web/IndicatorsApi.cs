using Capstan.Core.Config;
using Capstan.Core.Ledger;
using Capstan.Indicators.Charts;
using Capstan.Indicators.Config;
using Capstan.Indicators.Dora;
using Capstan.Indicators.History;
using Capstan.Web;
using Capstan.Web.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Capstan.Indicators.Web;

/// <summary>
/// The indicators page and its JSON: GET /api/indicators/dora (the five figures and the weekly trend),
/// /api/indicators/dora/explain (the deploys, commits and incidents behind them) and the chart PNGs. The same
/// query serves chat, so page, API and chat show the same numbers.
/// </summary>
public static class IndicatorsApi
{
    public static void MapIndicators(this IEndpointRouteBuilder app)
    {
        app.MapGet("/indicators", () => Pages.Page("indicators.html"));

        app.MapGet("/api/indicators/dora", async (string? app, string? env, string? since, string? until,
            DoraQuery query, DeliveryHistory history, ConfigState config, TimeProvider clock, CancellationToken ct) =>
        {
            var (scope, snapshot, error) = await ScopeAsync(app, env, since, until, query, config, clock, ct);
            if (scope is null) return error!;
            var report = await query.ReportAsync(scope, snapshot, ct);
            var weeks = await query.WeeklyAsync(scope, snapshot, ct);
            var view = await history.ReadAsync(ct);
            var request = new DoraRequest(app is { Length: > 0 } ? app : null, scope.Environment, scope.Period);
            return Results.Json(new
            {
                scope = new { label = scope.Label, apps = scope.Apps, environment = scope.Environment, from = scope.Period.From, to = scope.Period.To, period = scope.Period.Phrase },
                benchmark = report.Benchmark,
                noDeploys = report.NoDeploys,
                sentence = report.NoDeploys ? report.NoDeploysSentence + "." : null,
                figures = report.Figures,
                notes = report.Notes,
                weeks,
                charts = report.NoDeploys ? [] : DoraCharts.Attachments(scope, request),
                choices = Choices(view, snapshot),
            }, Ledger.Json);
        }).RequireSignIn();

        app.MapGet("/api/indicators/dora/explain", async (string? app, string? env, string? since, string? until,
            DoraQuery query, ConfigState config, TimeProvider clock, CancellationToken ct) =>
        {
            var (scope, snapshot, error) = await ScopeAsync(app, env, since, until, query, config, clock, ct);
            if (scope is null) return error!;
            var report = await query.ReportAsync(scope, snapshot, ct);
            return Results.Json(new
            {
                deploys = report.Deploys.Select(d => new
                {
                    d.Deployment.App,
                    d.Deployment.Version,
                    d.Deployment.At,
                    d.Deployment.Commit,
                    d.Deployment.Succeeded,
                    kind = d.Deployment.Kind.ToString(),
                    failedBecause = d.FailedBecause,
                    d.RecoveredAt,
                    recoveryHours = d.RecoveryTime?.TotalHours,
                    leadTimeHours = d.LeadTime?.TotalHours,
                    d.LeadTimeProblem,
                    d.PreviousVersion,
                    commits = d.Changes,
                    incidents = d.Incidents,
                    rework = d.Rework,
                }),
                incidents = report.Incidents.Select(i => new { i.Id, i.Title, i.Severity, i.Apps, i.Environment, i.Opened, i.Acknowledged, i.Resolved }),
            }, Ledger.Json);
        }).RequireSignIn();

        app.MapGet(DoraCharts.Prefix + "{metric}.png", async (string metric, string? app, string? env, string? since, string? until,
            DoraCharts charts, TimeProvider clock, CancellationToken ct) =>
        {
            var (request, error) = DoraCharts.RequestFrom(app, env, since, until, clock.GetUtcNow());
            if (request is null) return Results.Json(new { error }, statusCode: 400);
            var (png, unknown) = await charts.RenderAsync(metric, request, ct);
            return png is null ? Results.Json(new { error = unknown }, statusCode: 404) : Results.File(png, "image/png");
        }).RequireSignIn().WithMetadata(new RecordsOwnTokenUse());
    }

    private static async Task<(DoraScope?, ConfigSnapshot, IResult?)> ScopeAsync(string? app, string? env, string? since, string? until, DoraQuery query,
        ConfigState config, TimeProvider clock, CancellationToken ct)
    {
        var snapshot = config.Current;
        var (request, problem) = DoraCharts.RequestFrom(app, env, since, until, clock.GetUtcNow());
        if (request is null) return (null, snapshot, Results.Json(new { error = problem }, statusCode: 400));
        var (scope, unknown) = await query.ResolveAsync(request, snapshot, ct);
        return scope is null ? (null, snapshot, Results.Json(new { error = unknown }, statusCode: 404)) : (scope, snapshot, null);
    }

    private static object Choices(HistoryView view, ConfigSnapshot snapshot)
    {
        var cfg = snapshot.Find<IndicatorsConfig>() ?? IndicatorsConfig.Empty;
        return new
        {
            apps = view.Apps.OrderBy(a => a, StringComparer.Ordinal),
            products = cfg.Products.Keys.OrderBy(p => p, StringComparer.Ordinal),
            environments = snapshot.Policy.Environments.Keys.OrderBy(e => e, StringComparer.Ordinal),
            defaultEnvironment = DoraQuery.DefaultEnvironment(cfg, snapshot),
        };
    }
}
