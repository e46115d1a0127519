using System.Text;
using System.Text.Json.Nodes;
using Capstan.Chat.Matrix;
using Capstan.Core.Commands;
using Capstan.Core.Conversation;
using Capstan.Core.Ledger;

namespace Capstan.Chat.Tests.Matrix;

/// <summary>Capstan on Matrix against a local homeserver speaking the client-server API: sync, sends, threads, edits, invitations and faults.</summary>
public sealed class MatrixAdapterTests
{
    private const string Bob = "@bob:example.org";
    private static string BobOnMatrix(string yaml) => yaml.Replace("handles: { irc: bob }", $"handles: {{ irc: bob, matrix: \"{Bob}\" }}");

    private static Task<ChatNode> StartAsync(LocalHomeserver server, string? rooms = null) =>
        ChatNode.StartAsync([new MatrixPlatform()], rooms is null ? server.Yaml() : server.Yaml(rooms), BobOnMatrix);

    private static async Task ConnectedAsync(ChatNode node)
    {
        try { await Eventually.TrueAsync(() => node.Host.Statuses.SingleOrDefault()?.State == Chat.Adapters.AdapterState.Connected, "the Matrix adapter is connected"); }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Assert.Fail($"{ex.Message}; its status: {node.Host.Statuses.SingleOrDefault()}");
        }
    }

    private static IEnumerable<SentEvent> RepliesTo(LocalHomeserver server, string eventId) =>
        server.Sent.Where(s => s.Content["m.relates_to"]?["event_id"]?.GetValue<string>() == eventId && s.Content["m.relates_to"]?["rel_type"]?.GetValue<string>() == "m.thread");

    [Fact]
    public async Task A_linked_person_is_answered_in_the_thread_of_their_message_and_old_history_is_not_answered()
    {
        await using var server = LocalHomeserver.Start();
        var old = server.Say(LocalHomeserver.Ops, Bob, "!whoami");
        await using var node = await StartAsync(server);
        await ConnectedAsync(node);
        Assert.True(server.Joined(LocalHomeserver.Ops), "Capstan joins the room its alias names");
        var asked = server.Say(LocalHomeserver.Ops, Bob, "@capstan:example.org: whoami");
        await Eventually.TrueAsync(() => RepliesTo(server, asked).Any(), "Capstan answers in bob's thread");
        var reply = RepliesTo(server, asked).First();
        Assert.Contains("bob", reply.Body, StringComparison.Ordinal);
        Assert.Equal(LocalHomeserver.Ops, reply.Room);
        Assert.Equal("m.notice", reply.Content["msgtype"]!.GetValue<string>());
        Assert.Empty(reply.Content["m.mentions"]!.AsObject());
        Assert.Empty(RepliesTo(server, old));
        Assert.Equal("bob", (await node.LedgerAsync(LedgerKinds.Message)).Single().Actor);
        var sync = server.Calls.Last(c => c.StartsWith("GET /_matrix/client/v3/sync", StringComparison.Ordinal));
        Assert.Contains("timeout=30000", sync, StringComparison.Ordinal);
        Assert.Contains("filter=f1", sync, StringComparison.Ordinal);
        Assert.Contains("since=", sync, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_message_in_a_thread_is_answered_in_that_thread_and_its_own_and_other_bots_messages_are_ignored()
    {
        await using var server = LocalHomeserver.Start();
        await using var node = await StartAsync(server);
        await ConnectedAsync(node);
        var root = server.Say(LocalHomeserver.Ops, Bob, "the deploy is stuck");
        var asked = server.Say(LocalHomeserver.Ops, Bob, "!whoami", thread: root);
        server.Say(LocalHomeserver.Ops, LocalHomeserver.Bot, "!whoami");
        server.Say(LocalHomeserver.Ops, "@otherbot:example.org", "!whoami", msgtype: "m.notice");
        var last = server.Say(LocalHomeserver.Ops, Bob, "!whoami");
        await Eventually.TrueAsync(() => RepliesTo(server, last).Any(), "the last question is answered");
        Assert.NotEmpty(RepliesTo(server, root));
        Assert.Empty(RepliesTo(server, asked));
        // Capstan's own replies come back in its sync too; none of them, nor the other bot, is answered.
        Assert.Equal(2, server.Sent.Count);
        Assert.True(node.Host.Statuses.Single().Ignored >= 3);
    }

    [Fact]
    public async Task A_dropped_sync_and_a_repeated_event_are_answered_once_and_nothing_is_lost()
    {
        await using var server = LocalHomeserver.Start();
        await using var node = await StartAsync(server);
        await ConnectedAsync(node);
        server.DropNextSync = true;
        var first = server.Say(LocalHomeserver.Ops, Bob, "!whoami");
        await Eventually.TrueAsync(() => RepliesTo(server, first).Any(), "the message of the dropped sync is answered after the reconnect");
        Assert.True(node.Host.Statuses.Single().Reconnects >= 1);
        server.Repeat(first);
        var second = server.Say(LocalHomeserver.Ops, Bob, "!whoami");
        await Eventually.TrueAsync(() => RepliesTo(server, second).Any(), "the next message is answered");
        Assert.Single(RepliesTo(server, first));
        Assert.Equal(2, (await node.LedgerAsync(LedgerKinds.Message)).Count);
    }

    [Fact]
    public async Task A_send_whose_connection_drops_before_the_answer_is_retried_with_the_same_transaction_and_posted_once()
    {
        await using var server = LocalHomeserver.Start();
        await using var node = await StartAsync(server);
        await ConnectedAsync(node);
        server.DropAfterNextSend = true;
        var asked = server.Say(LocalHomeserver.Ops, Bob, "!whoami");
        await Eventually.TrueAsync(() => server.SendAttempts >= 2, "Capstan sends again after the dropped connection");
        var then = server.Say(LocalHomeserver.Ops, Bob, "!whoami");
        await Eventually.TrueAsync(() => RepliesTo(server, then).Any(), "the next question is answered");
        Assert.Single(RepliesTo(server, asked));
        Assert.Equal(2, server.Sent.Count);
    }

    [Fact]
    public async Task Rate_limited_sends_wait_as_told_and_keep_their_order()
    {
        await using var server = LocalHomeserver.Start();
        await using var node = await StartAsync(server);
        await ConnectedAsync(node);
        server.RateLimitedSends = 3;
        foreach (var i in Enumerable.Range(1, 5)) await node.Node.Outbox.PostAsync("ops", null, new Reply($"step {i}"));
        await Eventually.TrueAsync(() => server.Sent.Count == 5, "all five messages arrive");
        Assert.Equal(["step 1", "step 2", "step 3", "step 4", "step 5"], server.Sent.Select(s => s.Body));
        Assert.Equal(8, server.SendAttempts);
    }

    [Fact]
    public async Task An_expired_token_is_reported_without_the_token_and_Capstan_reconnects_once_it_is_accepted()
    {
        await using var server = LocalHomeserver.Start();
        server.TokenValid = false;
        await using var node = await StartAsync(server);
        await Eventually.TrueAsync(() => node.Host.Statuses.SingleOrDefault()?.LastError is not null, "the refused token is reported");
        var error = node.Host.Statuses.Single().LastError!;
        Assert.Contains("access token", error, StringComparison.Ordinal);
        Assert.Contains("mx_test", error, StringComparison.Ordinal);
        Assert.DoesNotContain(LocalHomeserver.Token, error, StringComparison.Ordinal);
        Assert.NotEqual(Chat.Adapters.AdapterState.Connected, node.Host.Statuses.Single().State);
        server.TokenValid = true;
        await ConnectedAsync(node);
        var asked = server.Say(LocalHomeserver.Ops, Bob, "!whoami");
        await Eventually.TrueAsync(() => RepliesTo(server, asked).Any(), "Capstan answers once the token is accepted", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_40_KB_reply_is_split_under_the_event_limit_and_a_longer_one_is_cut()
    {
        await using var server = LocalHomeserver.Start();
        await using var node = await StartAsync(server);
        await ConnectedAsync(node);
        var line = "<td>&amp; \"quoted\" é ✓</td> ";
        var text = string.Join("\n", Enumerable.Repeat(line, 40_000 / line.Length));
        await node.Node.Outbox.PostAsync("ops", null, new Reply(text));
        await Eventually.TrueAsync(() => server.Sent.Count >= 2, "the long reply arrives in parts");
        await node.Node.Outbox.PostAsync("ops", null, new Reply("done"));
        await Eventually.TrueAsync(() => server.Sent.Any(s => s.Body == "done"), "the message after it arrives");
        var parts = server.Sent.TakeWhile(s => s.Body != "done").ToList();
        Assert.True(parts.Count >= 2);
        Assert.All(parts, p => Assert.True(Encoding.UTF8.GetByteCount(MatrixContent.Json(p.Content)) < 65_536, "each event is under the homeserver's limit"));
        static string Words(string t) => string.Concat(t.Where(c => !char.IsWhiteSpace(c)));
        Assert.Equal(Words(text), Words(string.Concat(parts.Select(p => p.Body))));
        Assert.DoesNotContain("<td>", string.Concat(parts.Select(p => p.Content["formatted_body"]!.GetValue<string>())), StringComparison.Ordinal);

        var huge = string.Join("\n", Enumerable.Repeat(line, 400_000 / line.Length));
        await node.Node.Outbox.PostAsync("ops", null, new Reply(huge));
        await Eventually.TrueAsync(() => server.Sent.Any(s => s.Body.Contains("(cut:", StringComparison.Ordinal)), "the huge reply is cut with a note");
    }

    [Fact]
    public async Task Markup_and_room_mentions_in_peoples_text_reach_Matrix_as_plain_text_that_pings_nobody()
    {
        await using var server = LocalHomeserver.Start();
        await using var node = await StartAsync(server);
        await ConnectedAsync(node);
        var conversation = node.Node.Conversation(node.Services);
        await conversation.HandleAsync(new IncomingMessage("web", "alice", "ops", "<img src=x onerror=alert(1)> **bold** @room <a href=\"https://evil\">x</a> `code`"), CancellationToken.None);
        await Eventually.TrueAsync(() => server.Sent.Any(), "alice's web message is relayed to Matrix");
        var relayed = server.Sent.First().Content;
        var html = relayed["formatted_body"]!.GetValue<string>();
        Assert.DoesNotContain("<img", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<a ", html, StringComparison.Ordinal);
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt;", html, StringComparison.Ordinal);
        Assert.Contains("**bold**", html, StringComparison.Ordinal);
        Assert.DoesNotContain("@room", relayed["body"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain("@room", html, StringComparison.Ordinal);
        Assert.Empty(relayed["m.mentions"]!.AsObject());
    }

    [Fact]
    public async Task Progress_is_edited_in_place_with_m_replace()
    {
        await using var server = LocalHomeserver.Start();
        await using var node = await StartAsync(server);
        await ConnectedAsync(node);
        var posted = await node.Node.Outbox.PostAsync("ops", null, new Reply("deploying api: 1/3"));
        await Eventually.TrueAsync(() => server.Sent.Count == 1, "the progress message is posted");
        await node.Node.Outbox.EditAsync(posted, new Reply("deploying api: done"));
        await Eventually.TrueAsync(() => server.Sent.Count == 2, "the edit is sent");
        var edit = server.Sent.Last().Content;
        Assert.Equal("m.replace", edit["m.relates_to"]!["rel_type"]!.GetValue<string>());
        Assert.Equal(server.Sent.First().EventId, edit["m.relates_to"]!["event_id"]!.GetValue<string>());
        Assert.Equal("deploying api: done", edit["m.new_content"]!["body"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_invitation_from_a_stranger_is_declined_and_a_linked_persons_direct_room_is_joined_and_answered()
    {
        await using var server = LocalHomeserver.Start();
        await using var node = await StartAsync(server);
        await ConnectedAsync(node);
        server.Invite("!stranger:example.org", "@mallory:evil.org");
        server.Invite("!bobdm:example.org", Bob, direct: true);
        await Eventually.TrueAsync(() => server.Left.Contains("!stranger:example.org") && server.Joined("!bobdm:example.org"), "Capstan declines the stranger and joins bob's room");
        Assert.False(server.Joined("!stranger:example.org"));
        var asked = server.Say("!bobdm:example.org", Bob, "whoami");
        await Eventually.TrueAsync(() => server.Sent.Any(s => s.Room == "!bobdm:example.org"), "a direct message needs no address");
        Assert.Contains("bob", server.Sent.First(s => s.Room == "!bobdm:example.org").Body, StringComparison.Ordinal);
        Assert.Equal(RoomDirectory.DirectRoom("bob"), (await node.LedgerAsync(LedgerKinds.Message)).Single().Room);
        Assert.NotNull(asked);
    }

    [Fact]
    public async Task A_direct_message_to_a_person_opens_a_direct_room_once_and_records_it_in_m_direct()
    {
        await using var server = LocalHomeserver.Start();
        await using var node = await StartAsync(server);
        await ConnectedAsync(node);
        var room = RoomDirectory.DirectRoom("bob");
        node.Node.Rooms.Open(room, "Capstan's direct messages with bob");
        await node.Node.Outbox.PostAsync(room, null, new Reply("you are paged: api is down"));
        await node.Node.Outbox.PostAsync(room, null, new Reply("still down"));
        await Eventually.TrueAsync(() => server.Sent.Count == 2, "both messages reach bob");
        var created = Assert.Single(server.CreatedRooms);
        Assert.True(created["is_direct"]!.GetValue<bool>());
        Assert.Equal(Bob, created["invite"]![0]!.GetValue<string>());
        Assert.All(server.Sent, s => Assert.Equal("!dm1:example.org", s.Room));
        Assert.Equal("!dm1:example.org", server.AccountData["m.direct"][Bob]![0]!.GetValue<string>());
    }

    [Fact]
    public void Html_escapes_everything_and_only_Capstans_code_becomes_markup()
    {
        Assert.Equal("a &lt;b&gt; <code>x &amp; y</code><br>next", MatrixContent.Html("a <b> `x & y`\nnext"));
        Assert.Equal("<pre><code>col  &lt;i&gt;</code></pre>", MatrixContent.Html("```\ncol  <i>\n```"));
        Assert.Equal("odd ` tick", MatrixContent.Html("odd ` tick"));
    }
}
