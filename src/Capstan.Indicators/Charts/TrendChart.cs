using Capstan.Indicators.Dora;
using ScottPlot;

namespace Capstan.Indicators.Charts;

/// <summary>One DORA metric the charts can show, with its axis label and legend text.</summary>
public sealed record ChartMetric(string Key, string Title, string Axis, string Legend, Func<WeekFigures, double?> Value, bool Bars = false)
{
    public static readonly IReadOnlyList<ChartMetric> All =
    [
        new("deploymentFrequency", "Deployment frequency", "deploys per week", "deploys", w => w.Deploys, Bars: true),
        new("leadTime", "Change lead time", "median hours", "median lead time (h)", w => w.LeadTimeHours),
        new("changeFailRate", "Change fail rate", "% of deploys", "change fail rate (%)", w => w.ChangeFailRate * 100),
        new("recoveryTime", "Failed deployment recovery time", "median hours", "median recovery time (h)", w => w.RecoveryHours),
        new("reworkRate", "Deployment rework rate", "% of deploys", "rework rate (%)", w => w.ReworkRate * 100),
    ];

    public static ChartMetric? Find(string key) => All.FirstOrDefault(m => string.Equals(m.Key, key, StringComparison.OrdinalIgnoreCase));
}

/// <summary>Draws a metric's weekly trend as a PNG with ScottPlot (headless: SkiaSharp, no display needed).</summary>
public static class TrendChart
{
    public const int Width = 800, Height = 360;

    /// <summary>The plot itself (tests read its labels back), ready to render.</summary>
    public static Plot Build(ChartMetric metric, string scope, IReadOnlyList<WeekFigures> weeks)
    {
        var plot = new Plot();
        plot.Title($"{metric.Title} — {scope}");
        // Weeks sit at 0, 1, 2 … and are labelled with their Monday, so bars and points line up with their week.
        var xs = new List<double>();
        var ys = new List<double>();
        for (var i = 0; i < weeks.Count; i++)
            if (metric.Value(weeks[i]) is { } v && !double.IsNaN(v))
            {
                xs.Add(i);
                ys.Add(v);
            }
        if (metric.Bars)
        {
            var bars = plot.Add.Bars(weeks.Select((w, i) => new Bar { Position = i, Value = metric.Value(w) ?? 0, Size = 0.7 }).ToList());
            bars.LegendText = metric.Legend;
            bars.Color = Colors.SteelBlue;
        }
        else if (xs.Count > 0)
        {
            var line = plot.Add.Scatter(xs.ToArray(), ys.ToArray());
            line.LegendText = metric.Legend;
            line.Color = Colors.SteelBlue;
            line.LineWidth = 2;
            line.MarkerSize = 8;
        }
        if (xs.Count == 0 && !metric.Bars) plot.Add.Annotation("no data in this period", Alignment.MiddleCenter);
        var every = Math.Max(1, (int)Math.Ceiling(weeks.Count / 12.0));
        var ticks = Enumerable.Range(0, weeks.Count).Where(i => i % every == 0).ToArray();
        plot.Axes.Bottom.SetTicks(ticks.Select(i => (double)i).ToArray(),
            ticks.Select(i => weeks[i].Week.UtcDateTime.ToString("MMM dd", System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        plot.XLabel("week (starting Monday, UTC)");
        plot.YLabel(metric.Axis);
        plot.Axes.SetLimitsX(-0.6, Math.Max(weeks.Count, 1) - 0.4);
        var top = ys.Count == 0 ? 1 : ys.Max();
        plot.Axes.SetLimitsY(0, top <= 0 ? 1 : top * 1.2);
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }

    public static byte[] Png(ChartMetric metric, string scope, IReadOnlyList<WeekFigures> weeks) =>
        Build(metric, scope, weeks).GetImageBytes(Width, Height, ImageFormat.Png);
}
