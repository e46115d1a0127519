using Capstan.Chat.Adapters;
using Capstan.Core.Conversation;
using Capstan.Core.Ledger;
using Capstan.Testing;

namespace Capstan.Chat.Tests;

/// <summary>What every platform gets from the host: identity, rooms, threads, addressing, one answer per delivery, order and nothing lost.</summary>
public sealed class AdapterHostTests
{
    private const string Platforms = "platforms:\n  fake: { rooms: { ops: C-OPS, dev: C-DEV } }";
    private static string BobOnFake(string yaml) => yaml.Replace("handles: { irc: bob }", "handles: { irc: bob, fake: U-BOB }");

    private static ChatInbound From(string handle, string text, string channel = "C-OPS", string? id = null, bool direct = false, string? thread = null) =>
        new(id ?? Guid.NewGuid().ToString("N"), channel, direct, new ChatSender(handle, handle), text, "ref-" + (id ?? Guid.NewGuid().ToString("N")[..8]), thread);

    [Fact]
    public async Task A_linked_person_addressing_capstan_is_answered_in_the_thread_of_their_message_as_themselves()
    {
        var fake = new FakePlatform();
        await using var node = await ChatNode.StartAsync([fake], Platforms, BobOnFake);
        fake.Adapter.Say(From("U-BOB", "capstan: whoami", id: "e1"));
        await Eventually.TrueAsync(() => fake.Adapter.Posts.Any(p => p.Text.Contains("bob", StringComparison.Ordinal)), "Capstan answers bob's whoami");
        var answer = fake.Adapter.Posts.First(p => p.Text.Contains("bob", StringComparison.Ordinal));
        Assert.Equal("C-OPS", answer.To.Channel);
        Assert.Equal("ref-e1", answer.To.ThreadRef);
        var message = (await node.LedgerAsync(LedgerKinds.Message)).Single();
        Assert.Equal("bob", message.Actor);
        Assert.Equal("ops", message.Room);
    }

    [Fact]
    public async Task A_handle_linked_to_nobody_is_a_guest_and_may_not_search_the_history()
    {
        var fake = new FakePlatform();
        await using var node = await ChatNode.StartAsync([fake], Platforms, BobOnFake);
        fake.Adapter.Say(From("U-MALLORY", "!history", id: "e2"));
        await Eventually.TrueAsync(() => fake.Adapter.Posts.Any(), "Capstan answers the guest");
        Assert.Contains("not linked to anyone", fake.Adapter.Posts.Single().Text, StringComparison.Ordinal);
        Assert.Equal("guest:fake:U-MALLORY", (await node.LedgerAsync(LedgerKinds.Message)).Single().Actor);
    }

    [Fact]
    public async Task A_redelivered_message_is_recorded_and_answered_once()
    {
        var fake = new FakePlatform();
        await using var node = await ChatNode.StartAsync([fake], Platforms, BobOnFake);
        fake.Adapter.Say(From("U-BOB", "!whoami", id: "same"));
        fake.Adapter.Say(From("U-BOB", "!whoami", id: "same"));
        fake.Adapter.Say(From("U-BOB", "!whoami", id: "other"));
        await Eventually.TrueAsync(() => node.Host.Statuses.SingleOrDefault()?.Duplicates == 1 && fake.Adapter.Posts.Count(p => p.To.ThreadRef == "ref-other") > 0, "the second delivery is seen as a duplicate and the next message is answered");
        Assert.Equal(2, (await node.LedgerAsync(LedgerKinds.Message)).Count);
        Assert.Equal(fake.Adapter.Posts.Count(p => p.To.ThreadRef == "ref-other"), fake.Adapter.Posts.Count(p => p.To.ThreadRef == "ref-same"));
    }

    [Fact]
    public async Task Room_chatter_is_recorded_but_not_answered_and_unmapped_channels_are_not_taken()
    {
        var fake = new FakePlatform();
        await using var node = await ChatNode.StartAsync([fake], Platforms, BobOnFake);
        fake.Adapter.Say(From("U-BOB", "lunch anyone?", id: "c1"));
        fake.Adapter.Say(From("U-BOB", "!whoami", channel: "C-ELSEWHERE", id: "c2"));
        fake.Adapter.Say(From("U-BOB", "capbot, whoami", id: "c3"));
        await Eventually.TrueAsync(() => fake.Adapter.Posts.Count == 1, "only the addressed message in a mapped room is answered");
        var messages = await node.LedgerAsync(LedgerKinds.Message);
        Assert.Equal(2, messages.Count);
        Assert.Equal(1, node.Host.Statuses.Single().Ignored);
    }

    [Fact]
    public async Task A_guest_writing_directly_gets_a_private_room_and_a_direct_answer()
    {
        var fake = new FakePlatform();
        await using var node = await ChatNode.StartAsync([fake], Platforms, BobOnFake);
        fake.Adapter.Say(From("U-NEW", "whoami", channel: "D-NEW", id: "d1", direct: true));
        await Eventually.TrueAsync(() => fake.Adapter.Posts.Any(), "the guest's direct message is answered");
        var post = fake.Adapter.Posts.Single();
        Assert.Equal("D-NEW", post.To.Channel);
        Assert.True(post.To.Direct);
        var room = (await node.LedgerAsync(LedgerKinds.Message)).Single().Room!;
        Assert.StartsWith("dm-guest-fake-", room, StringComparison.Ordinal);
        Assert.False(RoomDirectory.MayEnter(room, "bob"), "another person may not read a guest's direct messages");
    }

    [Fact]
    public async Task Replies_made_while_the_platform_is_unreachable_are_kept_and_sent_in_order_after_reconnecting()
    {
        var fake = new FakePlatform();
        await using var node = await ChatNode.StartAsync([fake], Platforms, BobOnFake);
        await Eventually.TrueAsync(() => node.Host.Statuses.SingleOrDefault()?.State == AdapterState.Connected, "the adapter connects");
        fake.Adapter.FailPosts = true;
        for (var i = 1; i <= 5; i++)
            await node.Node.Outbox.PostAsync("ops", null, new Core.Commands.Reply($"step {i}"));
        await Eventually.TrueAsync(() => node.Host.Statuses.Single().LastError?.Contains("broken pipe", StringComparison.Ordinal) == true, "the failure is shown");
        Assert.Empty(fake.Adapter.Posts);
        fake.Adapter.FailPosts = false;
        await Eventually.TrueAsync(() => fake.Adapter.Posts.Count == 5, "all five are delivered once posts work again");
        Assert.Equal(["step 1", "step 2", "step 3", "step 4", "step 5"], fake.Adapter.Posts.Select(p => p.Text));
    }

    [Fact]
    public async Task A_dropped_session_is_reconnected_and_counted()
    {
        var fake = new FakePlatform();
        await using var node = await ChatNode.StartAsync([fake], Platforms, BobOnFake);
        await Eventually.TrueAsync(() => node.Host.Statuses.SingleOrDefault()?.State == AdapterState.Connected, "the adapter connects");
        fake.Adapter.Drop();
        await Eventually.TrueAsync(() => node.Host.Statuses.Single() is { State: AdapterState.Connected, Reconnects: 1 }, "the adapter reconnects after about a second");
        Assert.Contains("connection reset", node.Host.Statuses.Single().LastError, StringComparison.Ordinal);
        fake.Adapter.Say(From("U-BOB", "!whoami", id: "after"));
        await Eventually.TrueAsync(() => fake.Adapter.Posts.Any(), "messages are answered on the new session");
    }

    [Fact]
    public async Task Messages_from_the_web_chat_are_relayed_with_their_author_and_messages_from_the_platform_are_not_echoed()
    {
        var fake = new FakePlatform();
        await using var node = await ChatNode.StartAsync([fake], Platforms, BobOnFake);
        var conversation = node.Services.GetService(typeof(Conversation)) as Conversation;
        await conversation!.HandleAsync(new IncomingMessage("capstan", "alice", "ops", "hello @channel", Addressed: false), CancellationToken.None);
        fake.Adapter.Say(From("U-BOB", "hi from fake", id: "h1"));
        await Eventually.TrueAsync(() => fake.Adapter.Posts.Count >= 1, "the web message is relayed");
        await Eventually.TrueAsync(() => node.Host.Statuses.Single().Received == 1, "bob's message is taken");
        var relayed = Assert.Single(fake.Adapter.Posts);
        Assert.StartsWith("alice (capstan): hello @\u2060channel", relayed.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Adapters_run_only_on_the_leader()
    {
        var fake = new FakePlatform();
        var leadership = new FakeLeadership();
        await using var node = await ChatNode.StartAsync([fake], Platforms, BobOnFake, leadership);
        await leadership.AskedAsync(1, TimeSpan.FromSeconds(10));
        Assert.Equal(0, fake.Adapter.Sessions);
        leadership.Lead();
        await Eventually.TrueAsync(() => fake.Adapter.Sessions == 1, "the leader connects");
    }

    [Fact]
    public async Task An_adapter_that_cannot_be_made_is_shown_with_the_reason()
    {
        var broken = new FakePlatform { CreateFails = "the secret fake-token is not set" };
        await using var node = await ChatNode.StartAsync([broken], Platforms, BobOnFake);
        await Eventually.TrueAsync(() => node.Host.Statuses.Count == 1, "the platform is listed");
        var status = node.Host.Statuses.Single();
        Assert.Equal(AdapterState.Stopped, status.State);
        Assert.Contains("fake-token is not set", status.LastError, StringComparison.Ordinal);
    }
}
