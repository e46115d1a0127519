using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Indicators.Config;
using Capstan.Indicators.History;
using Capstan.Indicators.Sources;

namespace Capstan.Indicators.Dora;

/// <summary>A DORA request as typed in chat or passed to the API: app or product, environment, period.</summary>
public sealed record DoraRequest(string? Target, string? Environment, Period Period);

/// <summary>One week's figures, for the trend charts.</summary>
public sealed record WeekFigures(DateTimeOffset Week, int Deploys, double? LeadTimeHours, double? ChangeFailRate, double? RecoveryHours, double? ReworkRate);

/// <summary>
/// Answers DORA requests: resolves the app or product and the environment against the configuration, reads
/// the history and the source repos, and computes the report (and its weekly trend). Chat, the API and the
/// page all come here, so they show the same figures.
/// </summary>
public sealed class DoraQuery(DeliveryHistory history, SourceHistory sources)
{
    public const int DefaultDays = 30;

    /// <summary>Parses "[APP|PRODUCT] [in ENV] [last 30d|since DATE [until DATE]] [chart]" into a request.</summary>
    public static (DoraRequest? Request, bool Chart, string? Problem) Parse(string? text, DateTimeOffset now)
    {
        var (words, error) = Tokenizer.Split(text ?? "");
        if (words is null) return (null, false, error);
        var chart = words.RemoveAll(w => string.Equals(w, "chart", StringComparison.OrdinalIgnoreCase)) > 0;
        var (period, problem) = Period.Take(words, now, TimeSpan.FromDays(DefaultDays));
        if (period is null) return (null, chart, problem);
        string? env = null;
        var at = words.FindIndex(w => string.Equals(w, "in", StringComparison.OrdinalIgnoreCase));
        if (at >= 0)
        {
            if (at + 1 >= words.Count) return (null, chart, "'in' needs an environment after it, for example `in prod`");
            env = words[at + 1];
            words.RemoveRange(at, 2);
        }
        if (words.Count > 1) return (null, chart, $"I did not expect '{words[1]}' here; ask like `metrics dora api in prod last 30d`");
        return (new DoraRequest(words.Count == 1 ? words[0] : null, env, period), chart, null);
    }

    /// <summary>The resolved scope, or a sentence naming what is unknown.</summary>
    public async Task<(DoraScope? Scope, string? Problem)> ResolveAsync(DoraRequest request, ConfigSnapshot config, CancellationToken ct)
    {
        var cfg = config.Find<IndicatorsConfig>() ?? IndicatorsConfig.Empty;
        var envs = config.Policy.Environments;
        string env;
        if (request.Environment is { } e)
        {
            var match = envs.Keys.FirstOrDefault(k => string.Equals(k, e, StringComparison.OrdinalIgnoreCase));
            if (match is null) return (null, ArgumentKind.Unknown("environment", e, envs.Keys));
            env = match;
        }
        else env = DefaultEnvironment(cfg, config);
        var view = await history.ReadAsync(ct);
        var apps = view.Apps.ToList();
        if (request.Target is not { } target) return (new DoraScope(apps.Count == 1 ? apps[0] : "all apps", apps.OrderBy(a => a, StringComparer.Ordinal).ToList(), env, request.Period), null);
        if (cfg.Products.TryGetValue(target, out var product)) return (new DoraScope($"{target} ({string.Join(", ", product)})", product, env, request.Period), null);
        var known = apps.Concat(cfg.Products.Keys).Concat(config.Files.Keys.Where(f => f.StartsWith("apps/", StringComparison.Ordinal) && f.EndsWith(".yaml", StringComparison.Ordinal))
            .Select(f => f[5..^5])).Distinct(StringComparer.Ordinal).ToList();
        var app = known.FirstOrDefault(a => string.Equals(a, target, StringComparison.OrdinalIgnoreCase));
        if (app is null) return (null, ArgumentKind.Unknown("app or product", target, known));
        return (new DoraScope(app, [app], env, request.Period), null);
    }

    /// <summary>indicators.environment, else prod or production, else the first protected environment, else the last one.</summary>
    public static string DefaultEnvironment(IndicatorsConfig cfg, ConfigSnapshot config)
    {
        if (cfg.Environment is { } e) return e;
        var envs = config.Policy.Environments;
        foreach (var name in new[] { "prod", "production" })
            if (envs.Keys.FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase)) is { } m) return m;
        return envs.Values.FirstOrDefault(x => x.Protected)?.Name ?? envs.Keys.LastOrDefault() ?? "prod";
    }

    public async Task<DoraReport> ReportAsync(DoraScope scope, ConfigSnapshot config, CancellationToken ct)
    {
        var (view, calc, readings) = await PrepareAsync(scope, config, ct);
        return calc.Compute(view, scope, readings);
    }

    /// <summary>The figures week by week over the scope's period (weeks start Monday 00:00 UTC).</summary>
    public async Task<IReadOnlyList<WeekFigures>> WeeklyAsync(DoraScope scope, ConfigSnapshot config, CancellationToken ct)
    {
        var (view, calc, readings) = await PrepareAsync(scope, config, ct);
        return scope.Period.Weeks().Select(w =>
        {
            var r = calc.Compute(view, scope with { Period = w }, readings);
            return new WeekFigures(w.From, r.Deploys.Count, r.LeadTime.Value, r.NoDeploys ? null : r.ChangeFailRate.Value, r.RecoveryTime.Value, r.NoDeploys ? null : r.ReworkRate.Value);
        }).ToList();
    }

    private async Task<(HistoryView, DoraCalculator, Dictionary<string, SourceReading?>)> PrepareAsync(DoraScope scope, ConfigSnapshot config, CancellationToken ct)
    {
        var cfg = config.Find<IndicatorsConfig>() ?? IndicatorsConfig.Empty;
        var view = await history.ReadAsync(ct);
        var readings = new Dictionary<string, SourceReading?>(StringComparer.Ordinal);
        var tasks = scope.Apps.Where(a => view.DeploymentsOf(a, scope.Environment).Count > 0).Select(async app =>
            (app, cfg.SourceOf(app) is { } src ? await sources.ReadAsync(src.Name, src.Url, ct) : null));
        foreach (var (app, reading) in await Task.WhenAll(tasks)) readings[app] = reading;
        return (view, new DoraCalculator(cfg.Benchmark, cfg.IncidentLink), readings);
    }
}
