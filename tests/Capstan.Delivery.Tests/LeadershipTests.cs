using Capstan.Core.Leadership;
using Capstan.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Capstan.Delivery.Tests;

/// <summary>The reconciler applies releases only on the node that leads the deployment.</summary>
public sealed class LeadershipTests
{
    [Fact]
    public async Task The_reconciler_starts_nothing_until_this_node_leads_then_brings_the_apps_up()
    {
        var leadership = new FakeLeadership();
        await using var t = await DeliveryNode.StartAsync(replace: s => s.AddSingleton<ILeadership>(leadership));

        // Not the leader: both delivery loops (the reconciler and approval expiry) are parked before their first pass,
        // so the seeded version is not started anywhere.
        await leadership.AskedAsync(2, DeliveryNode.Patience);
        Assert.Null(t.Board.Cell("demo", "dev")?.LiveVersion);
        Assert.Null(t.Board.Cell("demo", "staging")?.LiveVersion);
        Assert.Empty(await t.LedgerAsync("delivery.apply"));

        leadership.Lead();
        var dev = await t.HealthyAsync("dev", "1.0.0");
        Assert.Contains("\"version\":\"1.0.0\"", await DeliveryNode.GetAsync(dev.Url!));
    }
}
