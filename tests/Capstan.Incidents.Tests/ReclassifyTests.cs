using Capstan.Core.Commands;

namespace Capstan.Incidents.Tests;

public sealed class ReclassifyTests
{
    [Fact]
    public async Task Upgrading_records_old_to_new_updates_the_topic_and_notifies_only_whom_the_new_severity_adds()
    {
        await using var t = await IncidentNode.StartAsync(TestConfig.Yaml());
        await t.RunAsync("carol", "incident open \"checkout latency\" sev2 app=api");
        var opsBefore = t.Posted("ops").Count;
        var reply = await t.RunAsync("carol", "incident sev INC-1 sev1 checkout fully down", "inc-1");
        Assert.Contains("INC-1 is now sev1 (was sev2). Notified alice.", reply);
        Assert.Single(t.DirectMessages("alice"), m => m.Contains("sev2 → sev1") && m.Contains("checkout fully down"));
        Assert.Single(t.DirectMessages("bob")); // paged at sev2 already: not again
        Assert.Equal(opsBefore, t.Posted("ops").Count); // #ops heard of the incident already
        Assert.Contains(t.Posted("inc-1"), m => m.Contains("INC-1 checkout latency: sev2 → sev1 (upgraded by carol: checkout fully down)"));
        Assert.StartsWith("INC-1 [sev1] checkout latency", t.Node.Rooms.Topic("inc-1"));

        var (entry, data) = Assert.Single(await t.LedgerAsync("incident.severity"));
        Assert.Equal(("carol", "inc-1"), (entry.Actor, entry.Room));
        Assert.Equal(("INC-1", "sev2", "sev1", "checkout fully down"),
            (data.GetProperty("incident").GetString(), data.GetProperty("from").GetString(), data.GetProperty("to").GetString(), data.GetProperty("reason").GetString()));
        var timeline = await t.RunAsync("alice", "incident timeline INC-1 status");
        Assert.Contains("Severity sev2 → sev1: checkout fully down", timeline);
    }

    [Fact]
    public async Task Reclassifying_to_the_same_severity_changes_nothing_and_notifies_nobody()
    {
        await using var t = await IncidentNode.StartAsync(TestConfig.Yaml());
        await t.RunAsync("carol", "incident open \"checkout latency\" sev1");
        var dms = t.DirectMessages("alice").Count + t.DirectMessages("bob").Count;
        var reply = await t.SayAsync("bob", "incident sev INC-1 sev1");
        Assert.Equal(CommandOutcome.Succeeded, reply.Outcome);
        Assert.Contains("INC-1 is already sev1; nothing changed and nobody was notified again", reply.Replies[0].Text);
        Assert.Equal(dms, t.DirectMessages("alice").Count + t.DirectMessages("bob").Count);
        Assert.Empty(await t.LedgerAsync("incident.severity"));
    }

    [Fact]
    public async Task Downgrades_are_announced_and_notify_nobody_new_and_a_later_upgrade_does_not_repeat_anyone()
    {
        await using var t = await IncidentNode.StartAsync(TestConfig.Yaml());
        await t.RunAsync("carol", "incident open \"checkout latency\" sev1");
        Assert.Single(t.DirectMessages("alice"));
        var down = await t.RunAsync("carol", "incident sev INC-1 sev3 mitigated");
        Assert.Contains("INC-1 is now sev3 (was sev1). Nobody new to notify.", down);
        Assert.Contains(t.Posted("inc-1"), m => m.Contains("sev1 → sev3 (downgraded by carol: mitigated)"));
        var up = await t.RunAsync("carol", "incident sev INC-1 sev1 it is back");
        Assert.Contains("Nobody new to notify", up);
        Assert.Single(t.DirectMessages("alice"));
        Assert.Single(t.DirectMessages("bob"));
        var changes = await t.LedgerAsync("incident.severity");
        Assert.Equal(["down", "up"], changes.Select(c => c.Data.GetProperty("direction").GetString()!).ToArray());
    }

    [Fact]
    public async Task Two_people_reclassifying_at_once_make_one_change_and_one_round_of_notifications()
    {
        await using var t = await IncidentNode.StartAsync(TestConfig.Yaml());
        await t.RunAsync("carol", "incident open \"checkout latency\" sev2");
        var results = await Task.WhenAll(t.SayAsync("carol", "incident sev INC-1 sev1 worse"), t.SayAsync("bob", "incident sev INC-1 sev1 much worse"));
        Assert.All(results, r => Assert.Equal(CommandOutcome.Succeeded, r.Outcome));
        Assert.Single(results, r => r.Replies[0].Text.Contains("is now sev1"));
        Assert.Single(results, r => r.Replies[0].Text.Contains("already sev1"));
        Assert.Single(await t.LedgerAsync("incident.severity"));
        Assert.Single(t.DirectMessages("alice"));

        // Different severities at once: both happen, in some order, and the incident ends at the last one recorded.
        await Task.WhenAll(t.SayAsync("carol", "incident sev INC-1 sev3"), t.SayAsync("bob", "incident sev INC-1 sev2"));
        var changes = await t.LedgerAsync("incident.severity");
        Assert.Equal(3, changes.Count);
        Assert.Equal(changes[1].Data.GetProperty("to").GetString(), changes[2].Data.GetProperty("from").GetString());
        Assert.Equal(changes[2].Data.GetProperty("to").GetString(), (await t.Store.GetAsync(1, CancellationToken.None))!.Severity);
        Assert.Single(t.DirectMessages("alice"));
    }
}
