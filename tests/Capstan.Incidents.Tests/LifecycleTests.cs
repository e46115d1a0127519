using Capstan.Core.Commands;
using Capstan.Incidents.Store;

namespace Capstan.Incidents.Tests;

public sealed class LifecycleTests
{
    [Fact]
    public async Task Opening_creates_a_room_makes_the_declarer_commander_notifies_the_routing_and_records_the_contract()
    {
        await using var t = await IncidentNode.StartAsync(TestConfig.Yaml());
        var reply = await t.RunAsync("carol", "incident open \"checkout latency\" sev2 app=api");
        Assert.Contains("Opened INC-1 [sev2] in #inc-1, commander carol", reply);
        Assert.True(t.Node.Rooms.Exists("inc-1"));
        Assert.Contains("INC-1 [sev2] checkout latency", t.Node.Rooms.Topic("inc-1"));
        Assert.Contains(t.Posted("ops"), m => m.Contains("INC-1 [sev2] checkout latency") && m.Contains("declared by carol"));
        Assert.Single(t.DirectMessages("bob")); // on call for platform
        Assert.Empty(t.DirectMessages("alice")); // sev2 does not page alice

        var (entry, data) = Assert.Single(await t.LedgerAsync("incident.opened"));
        Assert.Equal("carol", entry.Actor);
        Assert.Equal(IncidentNode.Start, entry.At);
        Assert.Equal("INC-1", data.GetProperty("incident").GetString());
        Assert.Equal("checkout latency", data.GetProperty("title").GetString());
        Assert.Equal("sev2", data.GetProperty("severity").GetString());
        Assert.Equal(["api"], data.GetProperty("apps").EnumerateArray().Select(a => a.GetString()!).ToArray());
        Assert.Equal("prod", data.GetProperty("environment").GetString());
        Assert.Equal("carol", data.GetProperty("commander").GetString());

        // Messages in the incident room are ordinary chat: the room works like any other.
        var chat = await t.SayAsync("bob", "looking at the api dashboards", "inc-1");
        Assert.Equal(CommandOutcome.NotACommand, chat.Outcome);
    }

    [Fact]
    public async Task A_named_commander_leads_and_is_told_and_numbers_count_up()
    {
        await using var t = await IncidentNode.StartAsync(TestConfig.Yaml());
        await t.RunAsync("alice", "incident open \"disk filling\" sev3");
        var reply = await t.RunAsync("alice", "incident open \"login down\" sev3 app=web commander=@bob");
        Assert.Contains("INC-2", reply);
        var i = (await t.Store.GetAsync(2, CancellationToken.None))!;
        Assert.Equal("bob", i.Commander);
        Assert.Equal("alice", i.OpenedBy);
        Assert.Contains(t.DirectMessages("bob"), m => m.Contains("made you commander") && m.Contains("INC-2"));
    }

    [Fact]
    public async Task Unknown_incident_ids_and_severities_get_a_sentence_saying_what_exists()
    {
        await using var t = await IncidentNode.StartAsync(TestConfig.Yaml());
        var none = await t.SayAsync("bob", "incident ack INC-9");
        Assert.Equal(CommandOutcome.Invalid, none.Outcome);
        Assert.Contains("There is no incident INC-9. No incident is open", none.Replies[0].Text);

        await t.RunAsync("bob", "incident open \"queue backlog\" sev3");
        var wrong = await t.SayAsync("bob", "incident resolve INC-7 done");
        Assert.Contains("There is no incident INC-7. Open incidents: INC-1.", wrong.Replies[0].Text);
        var notAnId = await t.SayAsync("bob", "incident timeline banana");
        Assert.Contains("'banana' is not an incident id", notAnId.Replies[0].Text);
        var noId = await t.SayAsync("bob", "incident ack");
        Assert.Contains("Which incident?", noId.Replies[0].Text);

        var sev = await t.SayAsync("bob", "incident open \"x\" sev9");
        Assert.Equal(CommandOutcome.Invalid, sev.Outcome);
        Assert.Contains("Unknown severity 'sev9'", sev.Replies[0].Text);
        Assert.Contains("sev1, sev2, sev3", sev.Replies[0].Text);
        var badSev = await t.SayAsync("bob", "incident sev INC-1 sev7");
        Assert.Contains("unknown severity 'sev7'", badSev.Replies[0].Text);
    }

    [Fact]
    public async Task In_the_incident_room_the_id_can_be_left_out_and_roles_hand_off_with_a_record()
    {
        await using var t = await IncidentNode.StartAsync(TestConfig.Yaml());
        await t.RunAsync("alice", "incident open \"checkout latency\" sev2 app=api");
        Assert.Contains("carol is now comms of INC-1", await t.RunAsync("alice", "incident assign comms @carol", "inc-1"));
        Assert.Contains("commander of INC-1 handed from alice to bob", await t.RunAsync("alice", "incident assign INC-1 commander @bob"));
        Assert.Contains(t.DirectMessages("bob"), m => m.Contains("You are now commander of INC-1"));
        var again = await t.RunAsync("bob", "incident assign commander @bob", "inc-1");
        Assert.Contains("already is commander", again);
        var bad = await t.SayAsync("bob", "incident assign INC-1 pilot @bob");
        Assert.Contains("Which role? One of commander, comms, scribe", bad.Replies[0].Text);
        var nobody = await t.SayAsync("bob", "incident assign INC-1 scribe @dave");
        Assert.Contains("unknown person 'dave'", nobody.Replies[0].Text);

        var roles = await t.LedgerAsync("incident.role");
        Assert.Equal(2, roles.Count);
        Assert.Equal("alice", roles[1].Data.GetProperty("from").GetString());
        Assert.Equal("bob", roles[1].Data.GetProperty("to").GetString());
        Assert.Equal("inc-1", roles[1].Entry.Room);
        var i = (await t.Store.GetAsync(1, CancellationToken.None))!;
        Assert.Equal(("bob", "carol"), (i.Commander, i.Comms));
    }

    [Fact]
    public async Task Updates_reach_the_room_and_stakeholders_and_the_commander_is_reminded_when_one_is_due()
    {
        await using var t = await IncidentNode.StartAsync(TestConfig.Yaml());
        await t.RunAsync("carol", "incident open \"checkout latency\" sev2"); // sev2: an update every 30m
        t.Clock.Advance(TimeSpan.FromMinutes(29));
        await t.TickAsync();
        Assert.DoesNotContain(t.DirectMessages("carol"), m => m.Contains("update is due"));

        t.Clock.Advance(TimeSpan.FromMinutes(2));
        await t.TickAsync();
        await t.TickAsync(); // a second pass at the same time does not remind twice
        Assert.Single(t.DirectMessages("carol"), m => m.Contains("an update is due (the last was 31m ago"));

        t.Clock.Advance(TimeSpan.FromMinutes(30));
        await t.TickAsync();
        Assert.Equal(2, t.DirectMessages("carol").Count(m => m.Contains("update is due")));

        var reply = await t.RunAsync("carol", "incident update rolled back api to 1.4.1; errors falling", "inc-1");
        Assert.Contains("Update posted to #inc-1 and #ops, #dev; the next is due in 30m", reply);
        Assert.Contains(t.Posted("ops"), m => m.Contains("update from carol: rolled back api to 1.4.1; errors falling"));
        Assert.Contains(t.Posted("dev"), m => m.Contains("rolled back api to 1.4.1"));
        t.Clock.Advance(TimeSpan.FromMinutes(29));
        await t.TickAsync();
        Assert.Equal(2, t.DirectMessages("carol").Count(m => m.Contains("update is due")));
        Assert.Equal(2, (await t.LedgerAsync("incident.reminder")).Count);
    }

    [Fact]
    public async Task Tasks_are_added_listed_and_done()
    {
        await using var t = await IncidentNode.StartAsync(TestConfig.Yaml());
        await t.RunAsync("alice", "incident open \"checkout latency\" sev3");
        Assert.Contains("Task 1 added to INC-1 for bob: add a latency alert", await t.RunAsync("alice", "incident task INC-1 add a latency alert @bob"));
        await t.RunAsync("alice", "incident task write the runbook", "inc-1");
        Assert.Contains(t.DirectMessages("bob"), m => m.Contains("alice gave you a follow-up of INC-1: add a latency alert"));
        await t.RunAsync("bob", "incident done 1", "inc-1"); // in the room, a bare number is the task
        var list = await t.RunAsync("alice", "incident tasks INC-1");
        Assert.Contains("INC-1: 1 open, 1 done.", list);
        Assert.Matches(@"1\s+add a latency alert\s+bob\s+alice\s+done", list);
        Assert.Matches(@"2\s+write the runbook\s+—\s+alice\s+open", list);
        var missing = await t.SayAsync("bob", "incident done INC-1 7");
        Assert.Contains("INC-1 has no task 7", missing.Replies[0].Text);
    }

    [Fact]
    public async Task Ack_resolve_and_reopen_are_recorded_and_give_time_to_acknowledge_and_resolve()
    {
        await using var t = await IncidentNode.StartAsync(TestConfig.Yaml());
        await t.RunAsync("carol", "incident open \"checkout latency\" sev2");
        t.Clock.Advance(TimeSpan.FromMinutes(4));
        Assert.Contains("INC-1 acknowledged by bob after 4m", await t.RunAsync("bob", "incident ack INC-1"));
        Assert.Contains("already acknowledged", await t.RunAsync("bob", "ack INC-1"));
        t.Clock.Advance(TimeSpan.FromMinutes(21));
        Assert.Contains("resolved by bob after 25m: rolled back", await t.RunAsync("bob", "incident resolve INC-1 rolled back"));
        Assert.Contains("already resolved", await t.RunAsync("bob", "incident resolve INC-1"));
        var show = await t.RunAsync("alice", "incident show INC-1");
        Assert.Contains("time to acknowledge 4m, to resolve 25m", show);

        await t.RunAsync("carol", "incident open \"search slow\" sev3");
        t.Clock.Advance(TimeSpan.FromMinutes(6));
        await t.RunAsync("carol", "incident ack INC-2");
        t.Clock.Advance(TimeSpan.FromMinutes(29));
        await t.RunAsync("carol", "incident resolve INC-2");
        var list = await t.RunAsync("alice", "incidents all");
        Assert.Contains("2 incident(s), 2 acknowledged, 2 resolved; MTTA 5m, MTTR 30m.", list);
        Assert.Matches(@"INC-1\s+sev2\s+resolved\s+checkout latency\s+carol\s+12-01 10:00\s+4m\s+25m", list);
        Assert.Matches(@"INC-2\s+sev3\s+resolved\s+search slow\s+carol\s+12-01 10:25\s+6m\s+35m", list);
        Assert.Contains("No open incidents", await t.RunAsync("alice", "incidents"));

        t.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Contains("INC-1 checkout latency reopened by alice", await t.RunAsync("alice", "incident reopen INC-1"));
        Assert.Equal(IncidentStatus.Acknowledged, (await t.Store.GetAsync(1, CancellationToken.None))!.Status);
        Assert.Contains("to resolve —", await t.RunAsync("alice", "incident show INC-1"));
        Assert.Single(await t.LedgerAsync("incident.reopened"));
        var resolved = await t.LedgerAsync("incident.resolved");
        Assert.Equal("rolled back", resolved[0].Data.GetProperty("summary").GetString());
        var stats = await t.RunAsync("alice", "incident stats last 7d");
        Assert.Contains("Last 7d: 2 incident(s), 2 acknowledged, 1 resolved; MTTA 5m, MTTR 35m.", stats);
    }

    [Fact]
    public async Task Incident_rooms_are_there_again_after_a_restart()
    {
        var root = Path.Combine(Path.GetTempPath(), "capstan-incidents-" + Guid.NewGuid().ToString("N")[..10]);
        var first = await IncidentNode.StartAsync(TestConfig.Yaml(), root);
        await first.RunAsync("alice", "incident open \"checkout latency\" sev3");
        await first.CloseAsync();
        await using var second = await IncidentNode.StartAsync(root: root, clock: first.Clock);
        Assert.True(second.Node.Rooms.Exists("inc-1"), "the incident's room is open again after a restart");
        Assert.Contains("INC-1 is now sev2", await second.RunAsync("alice", "incident sev sev2 getting worse", "inc-1"));
    }
}
