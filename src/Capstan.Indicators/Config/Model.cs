using Capstan.Core.Json;

namespace Capstan.Indicators.Config;

/// <summary>Everything the indicators module reads from one config commit.</summary>
public sealed record IndicatorsConfig(
    int Benchmark,
    string? Environment,
    TimeSpan IncidentLink,
    IReadOnlyDictionary<string, string> Sources,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Products,
    IReadOnlyDictionary<string, string> RepoUrls,
    IReadOnlyDictionary<string, CustomIndicator> Indicators,
    IReadOnlyList<Digest> Digests)
{
    public const int DefaultBenchmark = 2024;
    public static readonly TimeSpan DefaultIncidentLink = TimeSpan.FromHours(24);

    public static readonly IndicatorsConfig Empty = new(DefaultBenchmark, null, DefaultIncidentLink, new Dictionary<string, string>(),
        new Dictionary<string, IReadOnlyList<string>>(), new Dictionary<string, string>(), new Dictionary<string, CustomIndicator>(), []);

    /// <summary>The source repo (name, url) an app's versions are tagged in: indicators.sources, else the repo named like the app.</summary>
    public (string Name, string Url)? SourceOf(string app)
    {
        var name = Sources.GetValueOrDefault(app) ?? app;
        return RepoUrls.TryGetValue(name, out var url) ? (name, url) : null;
    }
}

/// <summary>A team-defined indicator from <c>indicators/NAME.yaml</c>.</summary>
public sealed record CustomIndicator(string Name, string Description, string Unit, IndicatorSource Source, TimeSpan Timeout, Thresholds Thresholds, string File);

/// <summary>Where an indicator's value comes from.</summary>
public abstract record IndicatorSource
{
    public abstract string Kind { get; }
}

/// <summary>A read-only SQL query whose first column of the first row is the value.</summary>
public sealed record SqlSource(string Driver, string Connection, string Query) : IndicatorSource
{
    public override string Kind => "sql";
}

/// <summary>An HTTP GET returning JSON, and the JSON path of the value in it.</summary>
public sealed record HttpJsonSource(string Url, JsonPath Path, IReadOnlyDictionary<string, string> Headers) : IndicatorSource
{
    public override string Kind => "http";
}

/// <summary>A PromQL query over Prometheus' HTTP API (instant for the value, range for the trend).</summary>
public sealed record PrometheusSource(string Url, string Query) : IndicatorSource
{
    public override string Kind => "prometheus";
}

/// <summary>When a value is worth a warning or is critical; <see cref="HigherIsBetter"/> says which way is good.</summary>
public sealed record Thresholds(double? Warn, double? Critical, bool HigherIsBetter)
{
    public static readonly Thresholds None = new(null, null, false);

    public string StatusOf(double value)
    {
        bool Worse(double limit) => HigherIsBetter ? value < limit : value > limit;
        if (Critical is { } c && Worse(c)) return "critical";
        if (Warn is { } w && Worse(w)) return "warn";
        return "ok";
    }

    public string Describe(string unit)
    {
        var op = HigherIsBetter ? "below" : "above";
        var parts = new List<string>();
        if (Warn is { } w) parts.Add($"warn {op} {Numbers.Format(w)}{Numbers.Unit(unit)}");
        if (Critical is { } c) parts.Add($"critical {op} {Numbers.Format(c)}{Numbers.Unit(unit)}");
        return parts.Count == 0 ? "no thresholds" : string.Join(", ", parts);
    }
}

/// <summary>A digest posted to a room on a cron schedule in a time zone.</summary>
public sealed record Digest(string Name, string Room, Cronos.CronExpression Schedule, string ScheduleText, TimeZoneInfo TimeZone, IReadOnlyList<string> Dora, IReadOnlyList<string> Indicators, TimeSpan Period);
