using Capstan.Chat.Store;
using Capstan.Core.Commands;
using Microsoft.Extensions.DependencyInjection;

namespace Capstan.Chat.Tests;

/// <summary>Rooms opened at run time (incident rooms): a channel of their own where the platform can make one, else said in the incidents' room's channel, named.</summary>
public sealed class RoomOpeningTests
{
    private const string Platforms = "platforms:\n  fake: { rooms: { ops: C-OPS } }";

    [Fact]
    public async Task An_incident_room_gets_its_own_channel_where_the_platform_can_make_one_and_its_messages_go_there()
    {
        var adapter = new FakeChannelAdapter();
        await using var node = await ChatNode.StartAsync([new FakePlatform(adapter)], Platforms);
        await Eventually.TrueAsync(() => node.Host.Statuses.Any(s => s.State == Adapters.AdapterState.Connected), "the adapter connects");
        node.Node.Rooms.Open("inc-7", "INC-7 [sev2] checkout latency", "ops");
        await node.Node.Outbox.PostAsync("inc-7", null, new Reply("🚨 INC-7 declared"));
        await Eventually.TrueAsync(() => adapter.Posts.Any(), "the incident's first message is posted");
        var post = adapter.Posts.Single();
        Assert.Equal("C-INC-7", post.To.Channel);
        Assert.Equal("🚨 INC-7 declared", post.Text);
        Assert.Equal(("inc-7", "INC-7 [sev2] checkout latency"), adapter.Opened.Single());
        var saved = await node.Services.GetRequiredService<IChatStore>().ChannelsAsync("fake", CancellationToken.None);
        Assert.Contains(new PlatformChannel("inc-7", "C-INC-7", false), saved);

        // The topic changes as the incident does: the channel is made once.
        node.Node.Rooms.Open("inc-7", "INC-7 [sev1] checkout latency", "ops");
        await node.Node.Outbox.PostAsync("inc-7", null, new Reply("raised to sev1"));
        await Eventually.TrueAsync(() => adapter.Posts.Count == 2, "the second message is posted");
        Assert.Equal("C-INC-7", adapter.Posts.Last().To.Channel);
        Assert.Single(adapter.Opened);
    }

    [Fact]
    public async Task Where_the_platform_cannot_make_channels_an_incident_room_is_said_in_the_incidents_rooms_channel_with_its_name()
    {
        var fake = new FakePlatform();
        await using var node = await ChatNode.StartAsync([fake], Platforms);
        node.Node.Rooms.Open("inc-8", "INC-8 [sev3] slow builds", "ops");
        await node.Node.Outbox.PostAsync("inc-8", null, new Reply("🚨 INC-8 declared"));
        await Eventually.TrueAsync(() => fake.Adapter.Posts.Any(), "the incident's message is posted");
        var post = fake.Adapter.Posts.Single();
        Assert.Equal("C-OPS", post.To.Channel);
        Assert.Equal("[#inc-8] 🚨 INC-8 declared", post.Text);
    }

    [Fact]
    public async Task Incident_rooms_opened_before_the_adapter_started_get_their_channel_when_it_connects()
    {
        var adapter = new FakeChannelAdapter();
        await using var node = await ChatNode.StartAsync([new FakePlatform(adapter)], "platforms: {}");
        node.Node.Rooms.Open("inc-9", "INC-9 [sev2] queue backlog", "ops");
        var problem = await node.ConfigureAsync(Platforms);
        Assert.Null(problem);
        await Eventually.TrueAsync(() => !adapter.Opened.IsEmpty, "the incident's channel is made once the adapter runs");
        await node.Node.Outbox.PostAsync("inc-9", null, new Reply("update: draining"));
        await Eventually.TrueAsync(() => adapter.Posts.Any(), "the update is posted");
        Assert.Equal("C-INC-9", adapter.Posts.Single().To.Channel);
    }
}
