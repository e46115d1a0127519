using System.Globalization;
using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Conversation;
using Capstan.Indicators.Dora;

namespace Capstan.Indicators.Charts;

/// <summary>
/// The chart PNGs of a DORA scope: links that name the scope and exact period (so a link posted in a thread
/// keeps showing the same chart), and rendering them for the web endpoint and for adapters that upload files.
/// </summary>
public sealed class DoraCharts(DoraQuery query, ConfigState config, TimeProvider clock) : IAttachmentSource
{
    public const string Prefix = "/api/indicators/dora/chart/";

    public static string Link(string metric, DoraRequest request) =>
        $"{Prefix}{metric}.png?" + string.Join("&", new[]
        {
            request.Target is null ? null : "app=" + Uri.EscapeDataString(request.Target),
            request.Environment is null ? null : "env=" + Uri.EscapeDataString(request.Environment),
            "since=" + Uri.EscapeDataString(request.Period.From.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)),
            "until=" + Uri.EscapeDataString(request.Period.To.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)),
        }.Where(p => p is not null));

    public static IReadOnlyList<Attachment> Attachments(DoraScope scope, DoraRequest request) =>
        ChartMetric.All.Select(m => new Attachment($"{m.Key}.png", "image/png", Link(m.Key, request), $"{m.Title} by week — {scope.Label} in {scope.Environment}")).ToList();

    /// <summary>Renders a metric's chart; null with a sentence when the request names something unknown.</summary>
    public async Task<(byte[]? Png, string? Problem)> RenderAsync(string metric, DoraRequest request, CancellationToken ct)
    {
        if (ChartMetric.Find(metric) is not { } m) return (null, ArgumentKind.Unknown("chart", metric, ChartMetric.All.Select(x => x.Key)));
        var snapshot = config.Current;
        var (scope, problem) = await query.ResolveAsync(request, snapshot, ct);
        if (scope is null) return (null, problem);
        var weeks = await query.WeeklyAsync(scope, snapshot, ct);
        return (TrendChart.Png(m, $"{scope.Label} in {scope.Environment}", weeks), null);
    }

    public async Task<byte[]?> OpenAsync(string link, CancellationToken ct)
    {
        if (!link.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        var uri = new Uri("http://capstan" + link);
        var metric = uri.AbsolutePath[Prefix.Length..].Replace(".png", "", StringComparison.Ordinal);
        var q = System.Web.HttpUtility.ParseQueryString(uri.Query);
        var (request, _) = RequestFrom(q["app"], q["env"], q["since"], q["until"], clock.GetUtcNow());
        return request is null ? null : (await RenderAsync(metric, request, ct)).Png;
    }

    /// <summary>A request from API parameters (app, env, since, until — dates or instants; default the last 30 days).</summary>
    public static (DoraRequest? Request, string? Problem) RequestFrom(string? app, string? env, string? since, string? until, DateTimeOffset now)
    {
        var words = new List<string>();
        if (since is { Length: > 0 }) words.AddRange(["since", since]);
        if (until is { Length: > 0 }) words.AddRange(["until", until]);
        var (period, problem) = Period.Take(words, now, TimeSpan.FromDays(DoraQuery.DefaultDays));
        return period is null ? (null, problem) : (new DoraRequest(app is { Length: > 0 } ? app : null, env is { Length: > 0 } ? env : null, period), null);
    }
}
