using System.Text.Json;
using Capstan.Core.Commands;
using Capstan.Core.Ledger;
using Capstan.Core.Ledger.Events;

namespace Capstan.Incidents.Figures;

/// <summary>How quickly one incident was acknowledged and resolved, from its ledger entries.</summary>
public sealed record IncidentTimes(string Incident, string Severity, DateTimeOffset OpenedAt, TimeSpan? ToAcknowledge, TimeSpan? ToResolve);

/// <summary>Mean time to acknowledge and to resolve over a period, by severity and overall.</summary>
public sealed record PeriodFigures(DateTimeOffset Since, DateTimeOffset Until, int Opened, int Acknowledged, int Resolved, TimeSpan? Mtta, TimeSpan? Mttr,
    IReadOnlyList<(string Severity, int Count, TimeSpan? Mtta, TimeSpan? Mttr)> BySeverity)
{
    public static string Show(TimeSpan? t) => t is { } x ? DurationText.Format(x) : "—";
}

/// <summary>
/// MTTA and MTTR computed from the ledger (<c>incident.opened</c>, the first <c>incident.acknowledged</c>, the last
/// <c>incident.resolved</c>), so they agree with any other reader of the ledger, such as the indicators module.
/// </summary>
public sealed class IncidentFigures(Ledger ledger, TimeProvider clock)
{
    public async Task<IReadOnlyList<IncidentTimes>> TimesAsync(DateTimeOffset since, CancellationToken ct)
    {
        var opened = await AllAsync(IncidentOpened.Kind, since, ct);
        if (opened.Count == 0) return [];
        var from = opened.Min(e => e.At);
        var acked = await AllAsync(IncidentAcknowledged.Kind, from, ct);
        var resolved = await AllAsync(IncidentResolved.Kind, from, ct);
        var reopened = await AllAsync(IncidentReopened.Kind, from, ct);
        // Each entry's JSON is read once: the first acknowledgement, the last resolution and reopening per incident.
        var firstAck = acked.GroupBy(Id).ToDictionary(g => g.Key, g => g.First().At);
        var lastResolve = resolved.GroupBy(Id).ToDictionary(g => g.Key, g => g.Last().At);
        var lastReopen = reopened.GroupBy(Id).ToDictionary(g => g.Key, g => g.Last().At);
        static DateTimeOffset? At(Dictionary<string, DateTimeOffset> by, string id) => by.TryGetValue(id, out var at) ? at : null;
        return opened.Select(o =>
        {
            var id = Id(o);
            var ack = At(firstAck, id);
            var lastResolved = At(lastResolve, id);
            var lastReopened = At(lastReopen, id);
            if (lastReopened is { } ro && lastResolved is { } rs && ro > rs) lastResolved = null; // open again: not resolved yet
            return new IncidentTimes(id, o.As<IncidentOpened>().Severity ?? "", o.At, ack - o.At, lastResolved - o.At);
        }).ToList();
    }

    public async Task<IncidentTimes?> ForAsync(string incident, DateTimeOffset openedAt, CancellationToken ct) =>
        (await TimesAsync(openedAt.AddSeconds(-1), ct)).FirstOrDefault(t => t.Incident == incident);

    public async Task<PeriodFigures> PeriodAsync(TimeSpan last, CancellationToken ct)
    {
        var until = clock.GetUtcNow();
        var since = until - last;
        var times = await TimesAsync(since, ct);
        static TimeSpan? Mean(IEnumerable<TimeSpan?> xs)
        {
            var list = xs.OfType<TimeSpan>().ToList();
            return list.Count == 0 ? null : TimeSpan.FromTicks((long)list.Average(x => x.Ticks));
        }
        var bySev = times.GroupBy(t => t.Severity).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (g.Key, g.Count(), Mean(g.Select(t => t.ToAcknowledge)), Mean(g.Select(t => t.ToResolve)))).ToList();
        return new PeriodFigures(since, until, times.Count, times.Count(t => t.ToAcknowledge is not null), times.Count(t => t.ToResolve is not null),
            Mean(times.Select(t => t.ToAcknowledge)), Mean(times.Select(t => t.ToResolve)), bySev);
    }

    private async Task<List<LedgerEntry>> AllAsync(string kind, DateTimeOffset since, CancellationToken ct)
    {
        var list = new List<LedgerEntry>();
        var after = 0L;
        while (true)
        {
            var page = await ledger.QueryAsync(new LedgerQuery(After: after, Limit: 1000, Kind: kind, Since: since), ct);
            list.AddRange(page);
            if (page.Count < 1000) return list;
            after = page.Max(e => e.Seq);
        }
    }

    private static string Id(LedgerEntry e)
    {
        using var d = JsonDocument.Parse(e.Data);
        return d.RootElement.TryGetProperty("incident", out var i) ? i.GetString() ?? "" : "";
    }
}
