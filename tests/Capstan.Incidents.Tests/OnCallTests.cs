using Capstan.Core.Commands;

namespace Capstan.Incidents.Tests;

public sealed class OnCallTests
{
    private const string Emea = """
          emea:
            timezone: Europe/Berlin
            rotations:
              - { people: [alice, bob], start: "2026-12-01 09:00", handoff: "0 9 * * *" }
        """;

    [Fact]
    public async Task Rotations_hand_over_at_their_cron_time_in_the_team_time_zone()
    {
        await using var t = await IncidentNode.StartAsync(TestConfig.Yaml(extraTeams: Emea));
        var now = await t.RunAsync("carol", "oncall who platform");
        Assert.Matches(@"platform\s+bob\s+rotation bob → carol", now);
        // In time order (the clock only moves forward). Berlin's 09:00 is 08:00 UTC in December.
        t.Clock.SetUtcNow(new DateTimeOffset(2026, 12, 2, 7, 59, 0, TimeSpan.Zero));
        var before = await t.RunAsync("carol", "oncall who emea");
        Assert.Matches(@"emea\s+alice\s+rotation alice → bob .*Wed 2026-12-02 09:00 Europe/Berlin", before);
        t.Clock.SetUtcNow(new DateTimeOffset(2026, 12, 2, 8, 0, 0, TimeSpan.Zero));
        Assert.Matches(@"emea\s+bob", await t.RunAsync("carol", "oncall who emea"));
        var all = await t.RunAsync("carol", "oncall who");
        Assert.Matches(@"platform\s+bob", all);
        Assert.Matches(@"emea\s+bob", all);

        t.Clock.SetUtcNow(new DateTimeOffset(2026, 12, 2, 8, 59, 0, TimeSpan.Zero));
        Assert.Matches(@"platform\s+bob", await t.RunAsync("carol", "oncall who platform"));
        t.Clock.SetUtcNow(new DateTimeOffset(2026, 12, 2, 9, 0, 0, TimeSpan.Zero));
        Assert.Matches(@"platform\s+carol", await t.RunAsync("carol", "oncall who platform"));
        t.Clock.SetUtcNow(new DateTimeOffset(2026, 12, 3, 9, 30, 0, TimeSpan.Zero));
        Assert.Matches(@"platform\s+bob", await t.RunAsync("carol", "oncall who platform"));
        var unknown = await t.SayAsync("carol", "oncall who plaftorm");
        Assert.Contains("unknown team 'plaftorm' — did you mean 'platform'?", unknown.Replies[0].Text);
    }

    [Fact]
    public async Task Overrides_put_someone_on_call_until_a_time_and_a_person_on_no_schedule_must_name_the_team()
    {
        await using var t = await IncidentNode.StartAsync(TestConfig.Yaml(fallback: "carol"));
        var who = await t.RunAsync("bob", "oncall who @alice");
        Assert.Contains("alice is not on any on-call schedule (teams: platform)", who);
        var refused = await t.SayAsync("bob", "oncall override @alice until 2h");
        Assert.Equal(CommandOutcome.Invalid, refused.Outcome);
        Assert.Contains("alice is not on any on-call schedule, so name the team: `oncall override TEAM @alice until …`", refused.Replies[0].Text);

        var ok = await t.RunAsync("bob", "oncall override platform @alice until 2h");
        Assert.Contains("alice is on call for platform until Tue 2026-12-01 12:00 UTC (instead of bob)", ok);
        Assert.Contains(t.DirectMessages("alice"), m => m.Contains("bob put you on call for platform"));
        Assert.Matches(@"platform\s+alice\s+override by bob", await t.RunAsync("carol", "oncall who platform"));
        Assert.Contains("platform: alice is on call now", await t.RunAsync("carol", "oncall who @alice"));
        var (_, data) = Assert.Single(await t.LedgerAsync("oncall.override"));
        Assert.Equal(("platform", "alice", "bob"), (data.GetProperty("team").GetString(), data.GetProperty("person").GetString(), data.GetProperty("previous").GetString()));

        // An incident opened now pages alice.
        await t.RunAsync("carol", "incident open \"checkout latency\" sev2");
        Assert.Contains(t.DirectMessages("alice"), m => m.Contains("INC-1"));

        t.Clock.Advance(TimeSpan.FromHours(2));
        Assert.Matches(@"platform\s+bob\s+rotation", await t.RunAsync("carol", "oncall who platform"));
        Assert.Contains("carol is on call for platform until", await t.RunAsync("carol", "oncall override until 2026-12-01T18:00Z"));
        var past = await t.SayAsync("carol", "oncall override until 2026-11-01T00:00Z");
        Assert.Contains("is already past", past.Replies[0].Text);
        var garbage = await t.SayAsync("carol", "oncall override until someday");
        Assert.Contains("'someday' is neither a time", garbage.Replies[0].Text);
    }

    [Fact]
    public async Task A_gap_in_the_schedule_is_reported_and_pages_the_fallback_and_no_fallback_is_said_plainly()
    {
        var office = "{ people: [bob, carol], start: \"2026-11-30 09:00\", handoff: \"0 9 * * MON\", hours: \"09:00-17:00\", days: [mon, tue, wed, thu, fri] }";
        await using var t = await IncidentNode.StartAsync(TestConfig.Yaml(rotation: office));
        t.Clock.SetUtcNow(new DateTimeOffset(2026, 12, 1, 18, 0, 0, TimeSpan.Zero));
        var who = await t.RunAsync("carol", "oncall who platform");
        Assert.Contains("(1 team(s) with a gap in the schedule)", who);
        Assert.Matches(@"platform\s+alice\s+⚠ a gap in the schedule until Wed 2026-12-02 09:00 UTC; the fallback alice answers", who);

        await t.RunAsync("carol", "incident open \"checkout latency\" sev2");
        Assert.Single(t.DirectMessages("alice"), m => m.Contains("INC-1"));
        Assert.Empty(t.DirectMessages("bob"));
        var timeline = await t.RunAsync("carol", "incident timeline INC-1 notify");
        Assert.Contains("person:alice (fallback for platform: a gap in the schedule", timeline);

        // Without a fallback nobody can be paged: the escalation says so in the room and the timeline.
        var refused = await t.ConfigureAsync(TestConfig.Yaml(rotation: office).Replace("\n    fallback: alice", ""));
        Assert.True(refused is null, string.Join("\n", refused?.Errors.Select(e => e.ToString()) ?? []));
        Assert.Contains("no fallback is set", await t.RunAsync("carol", "oncall who platform"));
        await t.RunAsync("carol", "incident open \"search down\" sev2");
        t.Clock.Advance(TimeSpan.FromMinutes(20));
        await t.TickAsync();
        Assert.Contains(t.Posted("inc-2"), m => m.Contains("Nobody is on call for platform") && m.Contains("Set `fallback:` under oncall.platform"));
        Assert.Contains(await t.LedgerAsync("incident.schedule.gap"), g => g.Data.GetProperty("incident").GetString() == "INC-2");
    }

    [Fact]
    public async Task Unacknowledged_incidents_escalate_level_by_level_until_someone_acks()
    {
        await using var t = await IncidentNode.StartAsync(TestConfig.Yaml());
        await t.RunAsync("carol", "incident open \"checkout latency\" sev2");
        await t.RunAsync("carol", "incident open \"search slow\" sev2");
        Assert.Equal(2, t.DirectMessages("bob").Count); // level 1: on call, at once
        t.Clock.Advance(TimeSpan.FromMinutes(5));
        await t.RunAsync("bob", "incident ack INC-2");
        t.Clock.Advance(TimeSpan.FromMinutes(4));
        await t.TickAsync();
        Assert.Empty(t.DirectMessages("alice"));

        t.Clock.Advance(TimeSpan.FromMinutes(1)); // 10m: level 2 pages alice
        await t.TickAsync();
        await t.TickAsync();
        Assert.Single(t.DirectMessages("alice"), m => m.Contains("INC-1") && m.Contains("escalation level 2 of platform"));
        Assert.Contains(t.Posted("inc-1"), m => m.Contains("escalated to level 2 of platform (alice)"));

        t.Clock.Advance(TimeSpan.FromMinutes(10)); // 20m: level 3 pages the whole team
        await t.TickAsync();
        Assert.Contains(t.DirectMessages("carol"), m => m.Contains("escalation level 3"));
        Assert.Contains(t.DirectMessages("bob"), m => m.Contains("escalation level 3"));
        await t.RunAsync("carol", "incident ack INC-1");
        t.Clock.Advance(TimeSpan.FromHours(1));
        await t.TickAsync();
        var escalations = await t.LedgerAsync("incident.escalated");
        Assert.Equal([2, 3], escalations.Select(e => e.Data.GetProperty("level").GetInt32()).ToArray());
        Assert.All(escalations, e => Assert.Equal("INC-1", e.Data.GetProperty("incident").GetString())); // INC-2 was acknowledged in time
        var timeline = await t.RunAsync("carol", "incident timeline INC-1 notify");
        Assert.Contains("Escalated to level 2 of platform: person:alice", timeline);
    }
}
