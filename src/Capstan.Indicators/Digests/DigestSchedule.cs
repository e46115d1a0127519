using System.Collections.Concurrent;
using System.Text.Json;
using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Conversation;
using Capstan.Core.Leadership;
using Capstan.Core.Ledger;
using Capstan.Indicators.Charts;
using Capstan.Indicators.Chat;
using Capstan.Indicators.Config;
using Capstan.Indicators.Custom;
using Capstan.Indicators.Dora;
using Capstan.Indicators.History;
using Microsoft.Extensions.Hosting;

namespace Capstan.Indicators.Digests;

/// <summary>
/// Posts each digest of <c>indicators.digests</c> to its room when its cron schedule comes round in its time
/// zone. Time comes from the injected clock; each post is recorded in the ledger (<c>indicators.digest</c>)
/// with the occurrence it was for, so a restart neither repeats nor loses one (a missed occurrence is posted
/// once, late; older missed ones are not piled up).
/// </summary>
public sealed class DigestSchedule(ConfigState config, DoraQuery dora, DeliveryHistory history, IndicatorValues values, Outbox outbox, Ledger ledger,
    TimeProvider clock, IndicatorsOptions options, ILeadership leadership) : BackgroundService
{
    public const string PostedKind = "indicators.digest";
    private readonly ConcurrentDictionary<string, DateTimeOffset> _last = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private bool _loaded;

    // Only the leader posts digests: each is posted once per deployment, not once per replica.
    protected override Task ExecuteAsync(CancellationToken ct) => leadership.WhileLeaderAsync(PostWhileLeaderAsync, ct);

    private async Task PostWhileLeaderAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await RunDueAsync(ct);
                await Task.Delay(options.DigestTick, clock, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or JsonException)
            {
                // A failing digest is reported in its room by PostAsync; the schedule itself keeps going.
                await Task.Delay(options.DigestTick, clock, ct).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>The next time a digest will be posted, after <paramref name="after"/>.</summary>
    public static DateTimeOffset? Next(Digest d, DateTimeOffset after) =>
        d.Schedule.GetNextOccurrence(after, d.TimeZone) is { } next ? next : null;

    /// <summary>Posts every digest that is due now; returns the names posted.</summary>
    public async Task<IReadOnlyList<string>> RunDueAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var now = clock.GetUtcNow();
            if (!_loaded) await LoadAsync(ct);
            var cfg = config.Current.Find<IndicatorsConfig>() ?? IndicatorsConfig.Empty;
            var posted = new List<string>();
            foreach (var d in cfg.Digests)
            {
                var last = _last.GetOrAdd(d.Name, now); // a digest seen for the first time starts counting now
                DateTimeOffset? due = null;
                for (var next = Next(d, last); next is { } n && n <= now; next = Next(d, n)) due = n;
                if (due is not { } occurrence) continue;
                await PostAsync(d, occurrence, cfg, ct);
                _last[d.Name] = occurrence;
                posted.Add(d.Name);
            }
            return posted;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        var entries = await ledger.QueryAsync(new LedgerQuery(Kind: PostedKind, Limit: 1000, Newest: true), ct);
        foreach (var e in entries)
        {
            using var doc = JsonDocument.Parse(e.Data);
            if (doc.RootElement.TryGetProperty("digest", out var n) && n.GetString() is { } name && doc.RootElement.TryGetProperty("occurrence", out var o) && o.TryGetDateTimeOffset(out var at))
                _last.TryAdd(name, at);
        }
        _loaded = true;
    }

    private async Task PostAsync(Digest d, DateTimeOffset occurrence, IndicatorsConfig cfg, CancellationToken ct)
    {
        var snapshot = config.Current;
        var local = TimeZoneInfo.ConvertTime(occurrence, d.TimeZone);
        var period = Period.Last(d.Period, occurrence);
        var head = await outbox.PostAsync(d.Room, null, new Reply(
            $"Digest '{d.Name}' for {local:dddd yyyy-MM-dd HH:mm} {d.TimeZone.Id} (schedule \"{d.ScheduleText}\"), {period.Phrase}:", ReplyTone.Info));
        await ledger.AppendAsync(PostedKind, "capstan", d.Room, head.Id, new { digest = d.Name, occurrence, room = d.Room });
        var view = await history.ReadAsync(ct);
        foreach (var target in d.Dora)
        {
            var request = new DoraRequest(target == "all" ? null : target, null, period);
            var (scope, problem) = await dora.ResolveAsync(request, snapshot, ct);
            if (scope is null) { await outbox.PostAsync(d.Room, head.Id, new Reply($"DORA for {target}: {problem}", ReplyTone.Warning)); continue; }
            var report = await dora.ReportAsync(scope, snapshot, ct);
            var charts = report.NoDeploys ? null : DoraCharts.Attachments(scope, request with { Environment = scope.Environment });
            await outbox.PostAsync(d.Room, head.Id, DoraText.Summary(report, view, charts));
        }
        foreach (var name in d.Indicators)
        {
            if (!cfg.Indicators.TryGetValue(name, out var indicator)) continue;
            var summary = await values.SummariseAsync(indicator, period, "capstan", ct);
            var tone = summary.Now.Value is null ? ReplyTone.Error : summary.Status switch { "critical" => ReplyTone.Error, "warn" => ReplyTone.Warning, _ => ReplyTone.Success };
            await outbox.PostAsync(d.Room, head.Id, new Reply(summary.Sentence, tone));
        }
    }
}
