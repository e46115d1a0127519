using System.Globalization;
using System.Text.Json;
using Capstan.Core.Ledger;
using Capstan.Indicators.Config;
using Capstan.Indicators.Dora;

namespace Capstan.Indicators.Custom;

/// <summary>A custom indicator's value now, its status against its thresholds, and its trend over a period.</summary>
public sealed record IndicatorSummary(CustomIndicator Indicator, Reading Now, string? Status, IReadOnlyList<(DateTimeOffset At, double Value)> Trend, string? TrendProblem, Period Period)
{
    /// <summary>The sentence chat shows.</summary>
    public string Sentence
    {
        get
        {
            var i = Indicator;
            if (Now.Value is not { } v) return Now.Problem!;
            var unit = Numbers.Unit(i.Unit);
            var text = $"{i.Name}: {Numbers.Format(v)}{unit} ({Status}; {i.Thresholds.Describe(i.Unit)})";
            if (Trend.Count >= 2)
            {
                var first = Trend[0].Value;
                var change = first == 0 ? "" : $", {(v - first >= 0 ? "+" : "")}{Numbers.Format((v - first) / Math.Abs(first) * 100)}%";
                text += $". Trend {Period.Phrase}: {Numbers.Format(first)} → {Numbers.Format(v)}{unit}{change}, min {Numbers.Format(Trend.Min(t => t.Value))}, max {Numbers.Format(Trend.Max(t => t.Value))} over {Trend.Count} readings.";
            }
            else text += $". No earlier readings {Period.Phrase} to show a trend" + (TrendProblem is null ? "; each `metrics` and digest adds one." : $" ({TrendProblem}).");
            return text;
        }
    }
}

/// <summary>
/// Reads custom indicators and keeps their history: every reading is recorded in the ledger
/// (<c>indicator.reading</c>), and the trend over a period comes from those readings, or from Prometheus' own
/// range query for Prometheus indicators.
/// </summary>
public sealed class IndicatorValues(IndicatorReader reader, Ledger ledger)
{
    public const string ReadingKind = "indicator.reading";

    public async Task<IndicatorSummary> SummariseAsync(CustomIndicator indicator, Period period, string actor, CancellationToken ct)
    {
        var now = await reader.ReadAsync(indicator, ct);
        var status = now.Value is { } v ? indicator.Thresholds.StatusOf(v) : null;
        await ledger.AppendAsync(ReadingKind, actor, null, null, new { indicator = indicator.Name, value = now.Value, unit = indicator.Unit, status, problem = now.Problem });
        IReadOnlyList<(DateTimeOffset, double)> trend;
        string? problem = null;
        if (indicator.Source is PrometheusSource p) (trend, problem) = await reader.RangeAsync(p, indicator, period.From, period.To, ct);
        else trend = await StoredAsync(indicator.Name, period, ct);
        return new IndicatorSummary(indicator, now, status, trend, problem, period);
    }

    private async Task<IReadOnlyList<(DateTimeOffset, double)>> StoredAsync(string name, Period period, CancellationToken ct)
    {
        var entries = await ledger.QueryAsync(new LedgerQuery(Kind: ReadingKind, Since: period.From, Until: period.To, Text: $"\"indicator\":\"{name}\"", Limit: 10_000), ct);
        var points = new List<(DateTimeOffset, double)>();
        foreach (var e in entries)
        {
            using var doc = JsonDocument.Parse(e.Data);
            var d = doc.RootElement;
            if (d.TryGetProperty("indicator", out var n) && n.GetString() == name && d.TryGetProperty("value", out var val) && val.ValueKind == JsonValueKind.Number)
                points.Add((e.At, val.GetDouble()));
        }
        return points;
    }
}
