using Capstan.Core.Leadership;
using Capstan.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Capstan.Incidents.Tests;

/// <summary>The background pass (escalations, the notification queue) runs only on the node that leads the deployment.</summary>
public sealed class LeadershipTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_due_escalation_is_sent_only_while_this_node_leads()
    {
        var leadership = new FakeLeadership();
        await using var t = await IncidentNode.StartAsync(TestConfig.Yaml(), options: new IncidentsOptions { Tick = TimeSpan.FromMilliseconds(50) },
            replace: s => s.AddSingleton<ILeadership>(leadership));
        await t.RunAsync("carol", "incident open \"checkout latency\" sev2");
        Assert.Single(t.DirectMessages("bob")); // level 1 pages at once: commands answer on any node

        // Not the leader: the background pass is parked before its first step, so level 2 (due at 10 minutes) waits.
        await leadership.AskedAsync(1, Patience);
        t.Clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Empty(t.DirectMessages("alice"));
        Assert.Empty(await t.LedgerAsync("incident.escalated"));

        leadership.Lead();
        await EventuallyAsync(() => t.DirectMessages("alice").Any(m => m.Contains("escalation level 2 of platform")), "level 2 to page alice once this node leads");

        // Leadership lost: the pass stops and waits to lead again; level 3 (due at 20 minutes) is not sent meanwhile.
        leadership.Lose();
        await leadership.AskedAsync(2, Patience);
        t.Clock.Advance(TimeSpan.FromMinutes(10));
        Assert.DoesNotContain(t.DirectMessages("carol"), m => m.Contains("escalation level 3"));

        leadership.Lead();
        await EventuallyAsync(() => t.DirectMessages("carol").Any(m => m.Contains("escalation level 3")), "level 3 to page the team once this node leads again");
        var levels = (await t.LedgerAsync("incident.escalated")).Select(e => e.Data.GetProperty("level").GetInt32()).ToArray();
        Assert.Equal([2, 3], levels);
    }

    private static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"waited {Patience.TotalSeconds:0}s for {what}");
            await Task.Delay(20);
        }
    }
}
