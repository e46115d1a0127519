using System.Text.Json.Nodes;
using Capstan.Chat.Adapters;
using Capstan.Chat.Mattermost;
using Capstan.Core.Commands;
using Capstan.Core.Conversation;
using Capstan.Core.Ledger;

namespace Capstan.Chat.Tests.Mattermost;

/// <summary>Capstan on Mattermost, against a local server speaking API v4 and the WebSocket event stream.</summary>
public sealed class MattermostTests
{
    private static bool About(LocalPost p, string who) => p.Message.Contains(who, StringComparison.Ordinal);

    [Fact]
    public async Task A_linked_person_addressing_capstan_in_a_team_channel_is_answered_in_the_thread_of_their_post_as_themselves()
    {
        await using var rig = await MattermostRig.StartAsync();
        var asked = rig.Server.Say(rig.Bob, rig.Ops, "@capstan whoami");
        await Eventually.TrueAsync(() => rig.Server.BotPosts(rig.Ops).Any(), "Capstan answers bob");
        var answer = rig.Server.BotPosts(rig.Ops).Single();
        Assert.Equal(asked, answer.RootId);
        Assert.Contains("bob", answer.Message, StringComparison.Ordinal);
        var message = (await rig.Node.LedgerAsync(LedgerKinds.Message)).Single();
        Assert.Equal("bob", message.Actor);
        Assert.Equal("ops", message.Room);
        Assert.Contains("capstan", rig.Node.Host.Statuses.Single().Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_command_in_a_reply_is_answered_under_the_thread_root_not_the_reply()
    {
        await using var rig = await MattermostRig.StartAsync();
        var root = rig.Server.Say(rig.Bob, rig.Ops, "deploying api soon", broadcast: false); // before Capstan was there: it never saw the root
        rig.Server.Say(rig.Bob, rig.Ops, "!whoami", root: root);
        await Eventually.TrueAsync(() => rig.Server.BotPosts(rig.Ops).Any(), "Capstan answers the command in the thread");
        Assert.Equal(root, rig.Server.BotPosts(rig.Ops).Single().RootId);
    }

    [Fact]
    public async Task Capstans_own_posts_and_other_bots_posts_are_not_answered_and_a_duplicated_event_is_answered_once()
    {
        await using var rig = await MattermostRig.StartAsync();
        var other = rig.Server.AddUser("jenkins", bot: true);
        rig.Server.Members[rig.Ops].Add(other);
        rig.Server.Say(other, rig.Ops, "!whoami");
        rig.Server.Say(rig.Bob, rig.Ops, "!whoami", props: new JsonObject { ["from_bot"] = "true" });
        var own = rig.Server.Say(rig.Server.BotId, rig.Ops, "!whoami");
        rig.Server.Duplicate = true;
        var asked = rig.Server.Say(rig.Bob, rig.Ops, "capstan: whoami");
        await Eventually.TrueAsync(() => rig.Status is { Ignored: >= 3, Duplicates: >= 1 } && rig.Server.BotPosts(rig.Ops).Any(p => p.RootId == asked), "the bots' posts are ignored, the duplicate seen and bob answered");
        Assert.Single(rig.Server.BotPosts(rig.Ops), p => p.Id != own);
        Assert.Single(await rig.Node.LedgerAsync(LedgerKinds.Message));
    }

    [Fact]
    public async Task A_dropped_event_stream_is_reopened_and_what_was_said_meanwhile_is_answered_once_and_a_lost_answer_is_not_posted_twice()
    {
        await using var rig = await MattermostRig.StartAsync();
        rig.Server.LoseAnswerNext = 1; // the reply is made but its answer never arrives: the connection dropped mid-reply
        var first = rig.Server.Say(rig.Bob, rig.Ops, "!whoami");
        await Eventually.TrueAsync(() => rig.Server.BotPosts(rig.Ops).Any(p => p.RootId == first), "the first command is answered");
        rig.Server.DropSockets();
        var missed = rig.Server.Say(rig.Bob, rig.Ops, "capstan: whoami", broadcast: false); // said while Capstan was away
        await Eventually.TrueAsync(() => rig.Status is { State: AdapterState.Connected, Reconnects: >= 1 } && rig.Server.OpenSockets == 1, "Capstan reconnects");
        await Eventually.TrueAsync(() => rig.Server.BotPosts(rig.Ops).Any(p => p.RootId == missed), "the command said while disconnected is answered after the reconnect");
        var after = rig.Server.Say(rig.Bob, rig.Ops, "!whoami");
        await Eventually.TrueAsync(() => rig.Server.BotPosts(rig.Ops).Any(p => p.RootId == after), "the next command is answered");
        Assert.Single(rig.Server.BotPosts(rig.Ops), p => p.RootId == first);
        Assert.Single(rig.Server.BotPosts(rig.Ops), p => p.RootId == missed);
        Assert.Equal(3, (await rig.Node.LedgerAsync(LedgerKinds.Message)).Count);
    }

    [Fact]
    public async Task A_revoked_token_is_shown_in_the_status_with_what_to_do_and_retried_with_a_growing_wait()
    {
        await using var rig = await MattermostRig.StartAsync(server => server.ValidToken = "a-newer-token", waitConnected: false);
        await Eventually.TrueAsync(() => rig.Status is { Reconnects: >= 2 }, "Capstan retries after the refusal", TimeSpan.FromSeconds(20));
        var status = rig.Status!;
        Assert.NotEqual(AdapterState.Connected, status.State);
        Assert.Contains("refused the bot's token", status.LastError, StringComparison.Ordinal);
        Assert.Contains("secret store", status.LastError, StringComparison.Ordinal);
        Assert.DoesNotContain(LocalMattermost.BotToken, status.LastError, StringComparison.Ordinal);
        Environment.SetEnvironmentVariable(rig.SecretVariable, "a-newer-token");
        await Eventually.TrueAsync(() => rig.Status?.State == AdapterState.Connected, "Capstan connects once the secret holds a valid token", TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Replies_answered_429_are_sent_after_the_wait_the_server_asks_for_in_order_and_none_lost()
    {
        await using var rig = await MattermostRig.StartAsync();
        rig.Server.RateLimitNext = 2;
        for (var i = 1; i <= 5; i++) await rig.Node.Node.Outbox.PostAsync("ops", null, new Reply($"step {i}"));
        await Eventually.TrueAsync(() => rig.Server.BotPosts(rig.Ops).Count == 5, "all five are posted after the rate limit", TimeSpan.FromSeconds(20));
        Assert.Equal(["step 1", "step 2", "step 3", "step 4", "step 5"], rig.Server.BotPosts(rig.Ops).Select(p => p.Message));
        Assert.Equal(2, rig.Server.RateLimited);
        Assert.Equal(0, rig.Server.EarlyRetries);
    }

    [Fact]
    public async Task A_40_KB_reply_is_split_under_the_servers_MaxPostSize()
    {
        await using var rig = await MattermostRig.StartAsync(server => server.MaxPostSize = 4000);
        var text = string.Join("\n", Enumerable.Range(1, 1200).Select(i => $"line {i:0000} of the deploy log output"));
        Assert.True(text.Length > 40_000);
        await rig.Node.Node.Outbox.PostAsync("ops", null, new Reply(text));
        await Eventually.TrueAsync(() => rig.Server.BotPosts(rig.Ops).Count >= 4, "the reply is posted in parts");
        var parts = rig.Server.BotPosts(rig.Ops);
        Assert.All(parts, p => Assert.True(p.Message.Length <= 4000, $"a part has {p.Message.Length} characters"));
        Assert.StartsWith("line 0001", parts[0].Message, StringComparison.Ordinal);
        Assert.Contains("cut", parts[^1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Formatting_and_mentions_in_peoples_text_reach_mattermost_as_plain_text_that_pings_no_one()
    {
        await using var rig = await MattermostRig.StartAsync();
        var conversation = (Conversation)rig.Node.Services.GetService(typeof(Conversation))!;
        await conversation.HandleAsync(new IncomingMessage("capstan", "alice", "ops", "hi @channel @all @bob **now** [docs](https://evil.example) # title `x`", Addressed: false), CancellationToken.None);
        await Eventually.TrueAsync(() => rig.Server.BotPosts(rig.Ops).Any(), "the web message is relayed");
        var text = rig.Server.BotPosts(rig.Ops).Single().Message;
        Assert.Contains("@\u2060channel", text, StringComparison.Ordinal);
        Assert.Contains("@\u2060all", text, StringComparison.Ordinal);
        Assert.Contains("@\u2060bob", text, StringComparison.Ordinal);
        Assert.Contains(@"\*\*now\*\*", text, StringComparison.Ordinal);
        Assert.Contains(@"\[docs\](https://evil.example)", text, StringComparison.Ordinal);
        Assert.Contains(@"\# title", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_button_click_runs_the_offered_command_as_the_person_who_clicked_and_forged_clicks_run_nothing()
    {
        await using var rig = await MattermostRig.StartAsync();
        var carol = rig.Server.AddUser("carol"); // not in #ops
        await rig.Node.Node.Outbox.PostAsync("ops", null, new Reply("Deploy api 1.2 to prod? Type `confirm` or `cancel`.", Actions: [new ReplyAction("Confirm", "whoami", ActionStyle.Primary), new ReplyAction("Cancel", "help")]));
        await Eventually.TrueAsync(() => rig.Server.BotPosts(rig.Ops).Any(), "the question is posted");
        var question = rig.Server.BotPosts(rig.Ops).Single();
        var actions = question.Props!["attachments"]![0]!["actions"]!.AsArray();
        Assert.Equal(["Confirm", "Cancel"], actions.Select(a => a!["name"]!.GetValue<string>()));
        Assert.Equal("primary", actions[0]!["style"]!.GetValue<string>());
        Assert.DoesNotContain("whoami", actions.ToJsonString(), StringComparison.Ordinal);

        Assert.Equal(403, await rig.Server.ClickAsync(rig.Bob, question, 0, new JsonObject { ["offer"] = new string('a', 32) }));
        Assert.Equal(403, await rig.Server.ClickAsync(carol, question, 0));
        Assert.Equal(403, await rig.Server.ClickAsync(rig.Bob, question, 0, new JsonObject { ["offer"] = "x", ["command"] = "whoami" }));
        Assert.Empty(await rig.Node.LedgerAsync(LedgerKinds.Message));

        Assert.Equal(200, await rig.Server.ClickAsync(rig.Bob, question, 0));
        await Eventually.TrueAsync(() => rig.Server.BotPosts(rig.Ops).Count >= 2, "the clicked command is answered");
        var message = (await rig.Node.LedgerAsync(LedgerKinds.Message)).Single();
        Assert.Equal("bob", message.Actor);
        Assert.Contains("bob", rig.Server.BotPosts(rig.Ops)[1].Message, StringComparison.Ordinal);
        Assert.Equal(question.Id, rig.Server.BotPosts(rig.Ops)[1].RootId);
    }

    [Fact]
    public async Task A_persons_direct_messages_go_to_a_mattermost_direct_channel_and_their_direct_posts_are_answered_there()
    {
        await using var rig = await MattermostRig.StartAsync();
        await rig.Node.Node.Outbox.PostAsync(RoomDirectory.DirectRoom("bob"), null, new Reply("You are paged for api."));
        await Eventually.TrueAsync(() => rig.Server.BotDirectPosts(rig.Bob).Any(), "the page reaches bob directly");
        rig.Server.SayDirect(rig.Bob, "whoami");
        await Eventually.TrueAsync(() => rig.Server.BotDirectPosts(rig.Bob).Count >= 2, "bob's direct message is answered directly");
        Assert.Contains("bob", rig.Server.BotDirectPosts(rig.Bob)[1].Message, StringComparison.Ordinal);
        Assert.Equal(RoomDirectory.DirectRoom("bob"), (await rig.Node.LedgerAsync(LedgerKinds.Message)).Single().Room);
    }

    [Fact]
    public async Task A_room_that_is_not_team_and_channel_is_refused_with_the_address_to_copy_it_from()
    {
        await using var node = await ChatNode.StartAsync([new MattermostPlatform()], "platforms:");
        var refused = await node.ConfigureAsync("platforms:\n  mattermost: { url: \"https://mm.example.org\", token: { secret: mm-bot }, rooms: { ops: \"#ops\" } }");
        Assert.NotNull(refused);
        Assert.Contains(refused.Errors, e => e.ToString().Contains("must be team/channel", StringComparison.Ordinal));
    }
}
