using Capstan.Core.Conversation;
using Capstan.Indicators.Digests;
using Microsoft.Extensions.DependencyInjection;

namespace Capstan.Indicators.Tests;

/// <summary>Digests posted to a room on a cron schedule in the team's time zone, driven by the clock.</summary>
public sealed class DigestTests
{
    private const string Weekly = """
        indicators:
          digests:
            weekly:
              room: ops
              schedule: "0 9 * * MON"
              timeZone: Europe/Berlin
              dora: [api]
              period: 7d
        """;

    private static DateTimeOffset Utc(string s) => DateTimeOffset.Parse(s + "Z", System.Globalization.CultureInfo.InvariantCulture);

    private static List<RoomMessage> Posted(IndicatorsNode node) => node.Events.Where(e => e.Type == RoomEvent.Posted).Select(e => e.Message).Where(m => m.Room == "ops").ToList();

    /// <summary>Room events are delivered to listeners asynchronously: wait (with a deadline) until they arrived.</summary>
    private static async Task<List<RoomMessage>> PostedAsync(IndicatorsNode node, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Posted(node).Count < count && DateTime.UtcNow < deadline) await Task.Delay(20);
        var posted = Posted(node);
        Assert.Equal(count, posted.Count);
        return posted;
    }

    [Fact]
    public async Task Every_monday_at_nine_in_berlin_the_digest_is_posted_once_with_the_weeks_figures()
    {
        await using var node = await IndicatorsNode.StartAsync(Utc("2026-11-29 20:00"));
        await node.WriteAsync(KnownHistory.Entries());
        Assert.Null(await node.AppendConfigAsync(Weekly));
        var schedule = node.Get<DigestSchedule>();

        Assert.Empty(await schedule.RunDueAsync(CancellationToken.None));
        node.Clock.SetUtcNow(Utc("2026-11-30 07:59")); // 08:59 in Berlin (CET, UTC+1)
        Assert.Empty(await schedule.RunDueAsync(CancellationToken.None));
        Assert.Empty(Posted(node));

        node.Clock.SetUtcNow(Utc("2026-11-30 08:00"));
        Assert.Equal(["weekly"], await schedule.RunDueAsync(CancellationToken.None));
        var posted = await PostedAsync(node, 2);
        Assert.Equal("Digest 'weekly' for Monday 2026-11-30 09:00 Europe/Berlin (schedule \"0 9 * * MON\"), in the last 7 days:", posted[0].Text);
        Assert.Null(posted[0].ThreadId);
        Assert.Equal(posted[0].Id, posted[1].ThreadId);
        Assert.StartsWith("DORA for api in prod in the last 7 days (2026-11-23 – 2026-11-30)", posted[1].Text);
        Assert.Equal("4 deploys in 7 days (4 per week)", posted[1].Table!.Rows[0][1]);
        Assert.Equal(5, posted[1].Attachments!.Count);

        node.Clock.Advance(TimeSpan.FromMinutes(30));
        Assert.Empty(await schedule.RunDueAsync(CancellationToken.None));

        // A restarted server reads what was posted from the ledger and does not post it again.
        var restarted = ActivatorUtilities.CreateInstance<DigestSchedule>(node.Services);
        Assert.Empty(await restarted.RunDueAsync(CancellationToken.None));

        // The next Monday it comes again; a Monday in summer time is 07:00 UTC.
        node.Clock.SetUtcNow(Utc("2026-12-07 08:00"));
        Assert.Equal(["weekly"], await restarted.RunDueAsync(CancellationToken.None));
        Assert.Equal(DateTimeOffset.Parse("2027-06-07T07:00:00Z", System.Globalization.CultureInfo.InvariantCulture),
            DigestSchedule.Next(node.Node.Config.Current.Find<Config.IndicatorsConfig>()!.Digests[0], Utc("2027-06-06 12:00")));
    }

    [Fact]
    public async Task A_digest_with_a_bad_schedule_time_zone_room_or_indicator_is_refused_with_file_and_line()
    {
        await using var node = await IndicatorsNode.StartAsync(Utc("2026-11-29 20:00"));
        var rejected = await node.AppendConfigAsync("""
            indicators:
              benchmark: 2020
              digests:
                a: { room: ops, schedule: "0 9 * * MONDAY", dora: [all] }
                b: { room: ops, schedule: "0 9 * * MON", timeZone: Europe/Berlinn, dora: [all] }
                c: { room: nowhere, schedule: "0 9 * * MON", dora: [all] }
                d: { room: ops, schedule: "0 9 * * MON", indicators: [orders] }
                e: { room: ops, schedule: "0 9 * * MON" }
            """);
        Assert.NotNull(rejected);
        var text = string.Join("\n", rejected!.Errors.Select(e => e.ToString()));
        Assert.Matches(@"capstan\.yaml:\d+:\d+: indicators\.benchmark 2020 is not a DORA report year Capstan has tiers for; use one of 2019, 2021, 2022, 2023, 2024", text);
        Assert.Matches(@"capstan\.yaml:\d+:\d+: digest a schedule '0 9 \* \* MONDAY' is not a cron expression", text);
        Assert.Matches(@"capstan\.yaml:\d+:\d+: digest b timeZone 'Europe/Berlinn' is not a known time zone; use an IANA name such as Europe/Berlin", text);
        Assert.Matches(@"capstan\.yaml:\d+:\d+: unknown room 'nowhere'", text);
        Assert.Matches(@"capstan\.yaml:\d+:\d+: unknown indicator 'orders'\. Known indicators: .* \(indicators are files indicators/NAME\.yaml\)", text);
        Assert.Matches(@"capstan\.yaml:\d+:\d+: digest e has nothing to post", text);
    }
}
