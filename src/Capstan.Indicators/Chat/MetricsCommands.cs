using Capstan.Core.Commands;
using Capstan.Indicators.Charts;
using Capstan.Indicators.Config;
using Capstan.Indicators.Custom;
using Capstan.Indicators.Dora;
using Capstan.Indicators.History;

namespace Capstan.Indicators.Chat;

/// <summary>The chat commands of indicators: <c>metrics dora</c>, <c>metrics explain dora</c> and <c>metrics NAME</c>.</summary>
public sealed class MetricsCommands : ICommandModule
{
    public const string Group = "Indicators";
    public const int ChatRows = 40;
    private const string ScopeHelp = "[APP|PRODUCT] [in ENV] [last 30d | since DATE [until DATE]] [chart]";

    private static IndicatorsConfig Config(ArgumentContext ctx) => ctx.Config.Find<IndicatorsConfig>() ?? IndicatorsConfig.Empty;

    /// <summary>What the DORA figures cover, read by <see cref="DoraQuery.Parse"/>: its words depend on each other.</summary>
    private static readonly Argument<string> Scope = new("scope", ArgumentKind.Text);
    private static readonly Argument<string> Indicator = new("indicator", ArgumentKind.Named("indicator", ctx => Config(ctx).Indicators.Keys.ToList()));
    private static readonly Argument<string> PeriodText = new("period", ArgumentKind.Text);

    public void Register(CommandRegistry registry)
    {
        registry.Add(new CommandSpec("metrics dora", Group, "DORA figures: deployment frequency, change lead time, change fail rate, recovery time, rework rate")
            .Rest(Scope, false, ScopeHelp)
            .Needs(CoreCommands.ReadPermission)
            .Describe("Each figure comes with its period, its sample size and the DORA tier it falls in, naming the report year (indicators.benchmark, default 2024). " +
                "Without ENV it is the production environment; without a period the last 30 days. `chart` adds a PNG trend by week for each metric. docs/indicators.md says exactly how each figure is computed.")
            .Example("metrics dora api in prod last 30d", "metrics dora shop since 2026-10-01 chart")
            .Runs<DoraQuery, DeliveryHistory>(DoraAsync));
        registry.Add(new CommandSpec("metrics explain dora", Group, "The deploys, commits and incidents behind each DORA figure")
            .Rest(Scope, false, ScopeHelp)
            .Needs(CoreCommands.ReadPermission)
            .Example("metrics explain dora api in prod last 30d")
            .Runs<DoraQuery>(ExplainAsync));
        registry.Add(new CommandSpec("metrics", Group, "A custom indicator's value, status and trend (indicators/NAME.yaml), or the list of them")
            .Optional(Indicator, "an indicator from indicators/ in the config repo")
            .Rest(PeriodText, false, "[last 7d | since DATE]")
            .Needs(CoreCommands.ReadPermission)
            .Example("metrics", "metrics checkout-latency last 7d")
            .Runs<IndicatorValues>(IndicatorAsync));
    }

    private static async Task<CommandResult> DoraAsync(CommandContext ctx, DoraQuery query, DeliveryHistory deliveries)
    {
        var (request, chart, problem) = DoraQuery.Parse(ctx.Find(Scope), ctx.Clock.GetUtcNow());
        if (request is null) return CommandResult.Invalid(problem! + $". Usage: `metrics dora {ScopeHelp}`.");
        var (scope, unknown) = await query.ResolveAsync(request, ctx.Config, ctx.Cancellation);
        if (scope is null) return CommandResult.Invalid(unknown!);
        var report = await query.ReportAsync(scope, ctx.Config, ctx.Cancellation);
        var history = await deliveries.ReadAsync(ctx.Cancellation);
        var charts = chart && !report.NoDeploys ? DoraCharts.Attachments(scope, request with { Environment = scope.Environment }) : null;
        return new CommandResult(CommandOutcome.Succeeded, [DoraText.Summary(report, history, charts)]);
    }

    private static async Task<CommandResult> ExplainAsync(CommandContext ctx, DoraQuery query)
    {
        var (request, _, problem) = DoraQuery.Parse(ctx.Find(Scope), ctx.Clock.GetUtcNow());
        if (request is null) return CommandResult.Invalid(problem! + $". Usage: `metrics explain dora {ScopeHelp}`.");
        var (scope, unknown) = await query.ResolveAsync(request, ctx.Config, ctx.Cancellation);
        if (scope is null) return CommandResult.Invalid(unknown!);
        var report = await query.ReportAsync(scope, ctx.Config, ctx.Cancellation);
        return new CommandResult(CommandOutcome.Succeeded, DoraText.Explain(report, ChatRows));
    }

    private static async Task<CommandResult> IndicatorAsync(CommandContext ctx, IndicatorValues values)
    {
        var cfg = ctx.Config.Find<IndicatorsConfig>() ?? IndicatorsConfig.Empty;
        if (ctx.Find(Indicator) is not { } name)
        {
            if (cfg.Indicators.Count == 0)
                return CommandResult.Info("There are no custom indicators yet. Add indicators/NAME.yaml to the config repo (docs/indicators.md shows how); `metrics dora` shows the DORA figures.");
            return CommandResult.Info($"{cfg.Indicators.Count} indicator(s); `metrics NAME [last 7d]` shows one. `metrics dora` shows the DORA figures.",
                new Table(["indicator", "source", "unit", "thresholds", "what it is"], cfg.Indicators.Values.Select(i => (IReadOnlyList<string>)[
                    i.Name, i.Source.Kind, i.Unit, i.Thresholds.Describe(i.Unit), i.Description]).ToList()));
        }
        var (words, error) = Tokenizer.Split(ctx.Get(PeriodText, ""));
        if (words is null) return CommandResult.Invalid(error!);
        var (period, problem) = Period.Take(words, ctx.Clock.GetUtcNow(), TimeSpan.FromDays(7));
        if (period is null) return CommandResult.Invalid(problem! + ". Usage: `metrics NAME [last 7d | since DATE]`.");
        if (words.Count > 0) return CommandResult.Invalid($"I did not expect '{words[0]}' here. Usage: `metrics NAME [last 7d | since DATE]`.");
        var summary = await values.SummariseAsync(cfg.Indicators[name], period, ctx.Actor.LedgerName, ctx.Cancellation);
        if (summary.Now.Value is null) return CommandResult.Fail(summary.Sentence);
        var tone = summary.Status switch { "critical" => ReplyTone.Error, "warn" => ReplyTone.Warning, _ => ReplyTone.Success };
        return new CommandResult(CommandOutcome.Succeeded, [new Reply(summary.Sentence, tone)]);
    }
}
