using Capstan.Core.Commands;
using Capstan.Indicators.Charts;
using Capstan.Indicators.Dora;

namespace Capstan.Indicators.Tests;

/// <summary>DORA figures from a known month of deploys, rollbacks, health changes, commits and an incident.</summary>
public sealed class DoraTests
{
    private static async Task<(IndicatorsNode Node, SourceRepo Repo)> KnownAsync(string? repoUrl = null)
    {
        var node = await IndicatorsNode.StartAsync(KnownHistory.Now);
        var repo = await KnownHistory.RepoAsync();
        Assert.Null(await node.AppendConfigAsync($"repos:\n  api: {{ url: \"{repoUrl ?? repo.Path}\" }}\n"));
        await node.WriteAsync(KnownHistory.Entries());
        return (node, repo);
    }

    private static IReadOnlyList<string> Row(Table table, string metric) => table.Rows.Single(r => r[0] == metric);

    [Fact]
    public async Task The_five_figures_of_a_known_month_are_exact_with_sample_sizes_and_tiers_naming_the_year()
    {
        var (node, repo) = await KnownAsync();
        await using var _ = node;
        using var __ = repo;
        var r = await node.SayAsync("carol", "metrics dora api in prod last 30d");
        Assert.Equal(CommandOutcome.Succeeded, r.Outcome);
        var reply = Assert.Single(r.Replies);
        Assert.StartsWith("DORA for api in prod in the last 30 days (2026-10-31 – 2026-11-30); tiers from the DORA 2024 report:", reply.Text);
        var t = reply.Table!;
        Assert.Equal(["metric", "value", "sample", "DORA 2024 tier"], t.Columns);
        Assert.Equal([KnownHistory.Frequency, "8 deploys", "High (between once per day and once per week)"], Row(t, "Deployment frequency").Skip(1));
        Assert.Equal([KnownHistory.LeadTime, KnownHistory.LeadSample, "High (between one day and one week)"], Row(t, "Change lead time").Skip(1));
        Assert.Equal([KnownHistory.FailRate, "8 deploys", "Low (nearest typical value 40%)"], Row(t, "Change fail rate").Skip(1));
        Assert.Equal([KnownHistory.Recovery, KnownHistory.RecoverySample, "High (less than one day)"], Row(t, "Failed deployment recovery time").Skip(1));
        Assert.Equal([KnownHistory.Rework, "8 deploys", "no tiers published (2024)"], Row(t, "Deployment rework rate").Skip(1));
        Assert.Null(reply.Attachments);
    }

    [Fact]
    public async Task The_benchmark_year_changes_the_tiers_and_the_name_of_the_recovery_metric()
    {
        var (node, repo) = await KnownAsync();
        await using var _ = node;
        using var __ = repo;
        Assert.Null(await node.AppendConfigAsync("indicators:\n  benchmark: 2021\n"));
        var t = (await node.SayAsync("carol", "metrics dora api")).Replies[0].Table!;
        Assert.Equal("between Elite and High", Row(t, "Deployment frequency")[3].Split(" (")[0]); // 2021 has no band between weekly and daily
        Assert.Equal("beyond High/Medium/Low (worse than 16–30%)", Row(t, "Change fail rate")[3]);
        Assert.StartsWith("DORA for api in prod in the last 30 days (2026-10-31 – 2026-11-30); tiers from the DORA 2021 report:", (await node.SayAsync("carol", "metrics dora api")).Replies[0].Text);
        Assert.Equal([KnownHistory.Recovery, KnownHistory.RecoverySample, "High (less than one day)"], Row(t, "Time to restore service").Skip(1));
    }

    [Fact]
    public async Task Figures_follow_new_entries_at_once_including_for_deploys_already_counted()
    {
        var (node, repo) = await KnownAsync();
        await using var _ = node;
        using var __ = repo;
        Assert.Equal(KnownHistory.FailRate, Row((await node.SayAsync("carol", "metrics dora api")).Replies[0].Table!, "Change fail rate")[1]);
        await node.WriteAsync((KnownHistory.At("2026-11-26 15:00"), "delivery.health", new { app = "api", environment = "prod", health = "Degraded", was = "Healthy" }),
            (KnownHistory.At("2026-11-26 16:00"), "delivery.health", new { app = "api", environment = "prod", health = "Healthy", was = "Degraded" }));
        var t = (await node.SayAsync("carol", "metrics dora api")).Replies[0].Table!;
        Assert.Equal("62.5% (5 of 8 deploys failed)", Row(t, "Change fail rate")[1]);
        Assert.Equal("median 2h", Row(t, "Failed deployment recovery time")[1]); // 5m, 1h 2m, 2h (1.3.2: 14:00 → 16:00), 4h, 7h
    }

    [Fact]
    public async Task Explain_lists_the_deploys_commits_and_incidents_behind_each_figure()
    {
        var (node, repo) = await KnownAsync();
        await using var _ = node;
        using var __ = repo;
        var r = await node.SayAsync("carol", "metrics explain dora api in prod last 30d");
        Assert.Equal(CommandOutcome.Succeeded, r.Outcome);
        Assert.Equal(3, r.Replies.Count);
        var deploys = r.Replies[0].Table!;
        Assert.Equal(8, deploys.Rows.Count);
        Assert.Equal(["2026-11-21 10:00", "api", "1.3.0", "k3", "failed", "—", "—", "its apply failed at 2026-11-21 10:00; rolled back automatically at 2026-11-21 10:01", "2026-11-21 10:05 (5m)", "—"], deploys.Rows[2]);
        Assert.Equal(["2026-11-21 10:05", "api", "1.2.0 (automatic rollback)", "r3", "healthy", "—", "—", "—", "—", "an automatic rollback"], deploys.Rows[3]);
        Assert.Equal(["2026-11-26 08:00", "api", "1.3.1", "k5", "healthy", "3 since 1.2.0", "6d 22h", "incident INC-1 opened at 2026-11-26 09:00", "2026-11-26 15:00 (7h)", "—"], deploys.Rows[4]);
        Assert.Equal("deployed while incident INC-1 was open", deploys.Rows[5][9]);
        Assert.Equal("rolled back to 1.3.2 at 2026-11-28 11:02", deploys.Rows[6][7]);
        Assert.Equal("a rollback from chat", deploys.Rows[7][9]);

        var commits = r.Replies[1].Table!;
        Assert.Equal(8, commits.Rows.Count);
        Assert.Equal(new[] { "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9" }.Select(c => repo.Shas[c][..10]), commits.Rows.Select(x => x[2]));
        Assert.Equal(["api", "1.3.1", repo.Shas["c5"][..10], "2026-11-19 10:00", "6d 22h (first: the lead time)"], commits.Rows[3]);

        var incidents = r.Replies[2].Table!;
        Assert.Equal(["INC-1", "Checkout errors", "sev2", "api", "2026-11-26 09:00", "2026-11-26 15:00", "api 1.3.1 at 2026-11-26 08:00"], Assert.Single(incidents.Rows));
    }

    [Fact]
    public async Task A_source_repo_that_cannot_be_reached_marks_lead_time_unavailable_and_keeps_the_other_figures()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-repo-" + Guid.NewGuid().ToString("N")[..8] + ".git");
        var (node, repo) = await KnownAsync(missing);
        await using var _ = node;
        using var __ = repo;
        var reply = (await node.SayAsync("carol", "metrics dora api in prod last 30d")).Replies[0];
        var lead = Row(reply.Table!, "Change lead time");
        Assert.StartsWith("unavailable — source repo api cannot be reached (" + missing, lead[1]);
        Assert.Equal("—", lead[3]);
        Assert.Contains("Note: api: lead time unavailable — source repo api cannot be reached", reply.Text);
        Assert.Equal(KnownHistory.Frequency, Row(reply.Table!, "Deployment frequency")[1]);
        Assert.Equal(KnownHistory.FailRate, Row(reply.Table!, "Change fail rate")[1]);
        Assert.Equal(KnownHistory.Recovery, Row(reply.Table!, "Failed deployment recovery time")[1]);
        Assert.Equal(KnownHistory.Rework, Row(reply.Table!, "Deployment rework rate")[1]);
    }

    [Fact]
    public async Task A_period_without_deploys_is_said_in_a_sentence_not_as_zero()
    {
        var (node, repo) = await KnownAsync();
        await using var _ = node;
        using var __ = repo;
        node.Clock.Advance(TimeSpan.FromDays(60));
        var reply = Assert.Single((await node.SayAsync("carol", "metrics dora api in prod last 30d")).Replies);
        Assert.Equal("No deploys of api in prod in the last 30 days, so there are no DORA figures to show (the last one was api 1.3.2 on 2026-11-28); ask for a longer period, e.g. `metrics dora api in prod last 90d`.", reply.Text);
        Assert.Null(reply.Table);
        Assert.DoesNotContain("NaN", reply.Text);

        var staging = Assert.Single((await node.SayAsync("carol", "metrics dora api in dev")).Replies);
        Assert.Equal("No deploys of api in dev in the last 30 days, so there are no DORA figures to show (Capstan has recorded no deploy of api in dev at all).", staging.Text);
    }

    [Theory]
    [InlineData("metrics dora api last 30x", "'30x' is not a period: write it like last 30d, last 12w or last 24h. Usage: `metrics dora [APP|PRODUCT] [in ENV] [last 30d | since DATE [until DATE]] [chart]`.")]
    [InlineData("metrics dora api since 2026-13-45", "'2026-13-45' is not a date: write it like since 2026-11-01 or since 2026-11-01T09:00Z. Usage: `metrics dora [APP|PRODUCT] [in ENV] [last 30d | since DATE [until DATE]] [chart]`.")]
    [InlineData("metrics dora api last", "'last' needs a duration such as 30d or 12w after it. Usage: `metrics dora [APP|PRODUCT] [in ENV] [last 30d | since DATE [until DATE]] [chart]`.")]
    [InlineData("metrics dora api since 2026-12-01 until 2026-11-01", "the period starts (2026-12-01 00:00) after it ends (2026-11-01 00:00); put since before until. Usage: `metrics dora [APP|PRODUCT] [in ENV] [last 30d | since DATE [until DATE]] [chart]`.")]
    [InlineData("metrics dora apii", "unknown app or product 'apii' — did you mean 'api'? Known app or products: api")]
    [InlineData("metrics dora api in prdo", "unknown environment 'prdo' — did you mean 'prod'? Known environments: dev, prod, staging")]
    public async Task Malformed_requests_get_a_sentence_saying_what_to_type(string text, string expected)
    {
        var (node, repo) = await KnownAsync();
        await using var _ = node;
        using var __ = repo;
        var r = await node.SayAsync("carol", text);
        Assert.Equal(CommandOutcome.Invalid, r.Outcome);
        Assert.Equal(expected, r.Replies[0].Text);
    }

    [Fact]
    public async Task A_product_sums_its_apps_and_since_until_bounds_the_period()
    {
        var (node, repo) = await KnownAsync();
        await using var _ = node;
        using var __ = repo;
        Assert.Null(await node.AppendConfigAsync("indicators:\n  products:\n    shop: [api, web]\n"));
        await node.WriteAsync((KnownHistory.At("2026-11-20 10:00"), "delivery.healthy", new { app = "web", environment = "prod", version = "2.0.0", commit = "w1", reason = "change" }));
        var reply = (await node.SayAsync("carol", "metrics dora shop since 2026-11-01 until 2026-11-22")).Replies[0];
        Assert.StartsWith("DORA for shop (api, web) in prod since 2026-11-01 until 2026-11-22", reply.Text);
        Assert.Equal("5 deploys in 21 days (1.67 per week)", Row(reply.Table!, "Deployment frequency")[1]);
        Assert.Contains("Note: web: no source repo", reply.Text);
        Assert.Equal("40% (2 of 5 deploys failed)", Row(reply.Table!, "Change fail rate")[1]);
    }

    [Fact]
    public async Task Chart_attaches_a_weekly_png_per_metric_with_title_axes_and_legend()
    {
        var (node, repo) = await KnownAsync();
        await using var _ = node;
        using var __ = repo;
        var reply = (await node.SayAsync("carol", "metrics dora api last 30d chart")).Replies[0];
        Assert.NotNull(reply.Attachments);
        Assert.Equal(ChartMetric.All.Select(m => m.Key + ".png"), reply.Attachments!.Select(a => a.Name));
        Assert.All(reply.Attachments!, a => Assert.Equal("image/png", a.MediaType));
        var link = reply.Attachments![0].Link;
        Assert.Equal("/api/indicators/dora/chart/deploymentFrequency.png?app=api&env=prod&since=2026-10-31T12%3A00%3A00Z&until=2026-11-30T12%3A00%3A00Z", link);

        var charts = node.Get<DoraCharts>();
        foreach (var a in reply.Attachments!)
        {
            var png = await charts.OpenAsync(a.Link, CancellationToken.None);
            Assert.NotNull(png);
            ChartImage.AssertLooksLikeAChart(png!, TrendChart.Width, TrendChart.Height);
            File.WriteAllBytes(Path.Combine(AppContext.BaseDirectory, a.Name), png!);
        }

        var query = node.Get<DoraQuery>();
        var (scope, _) = await query.ResolveAsync(new DoraRequest("api", "prod", Period.Last(TimeSpan.FromDays(30), KnownHistory.Now)), node.Node.Config.Current, CancellationToken.None);
        var weeks = await query.WeeklyAsync(scope!, node.Node.Config.Current, CancellationToken.None);
        // Weeks from Monday: Oct 26 (cut to Oct 31 12:00), Nov 2 (D1), Nov 9 (D2), Nov 16 (D3, D4), Nov 23 (D5–D8), Nov 30 (to 12:00).
        Assert.Equal([0, 1, 1, 2, 4, 0], weeks.Select(w => w.Deploys));
        Assert.Equal([null, 48, 24, null, 24, null], weeks.Select(w => w.LeadTimeHours));
        var plot = TrendChart.Build(ChartMetric.Find("deploymentFrequency")!, "api in prod", weeks);
        Assert.Equal("Deployment frequency — api in prod", plot.Axes.Title.Label.Text);
        Assert.Equal("week (starting Monday, UTC)", plot.Axes.Bottom.Label.Text);
        Assert.Equal("deploys per week", plot.Axes.Left.Label.Text);
        Assert.Equal(["deploys"], plot.Legend.GetItems().Select(i => i.LabelText));
    }
}
