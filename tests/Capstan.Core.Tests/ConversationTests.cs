using Capstan.Core.Commands;
using Capstan.Core.Conversation;
using Capstan.Core.Ledger;

namespace Capstan.Core.Tests;

public sealed class ConversationTests
{
    [Fact]
    public async Task Help_lists_only_the_commands_the_person_may_run()
    {
        await using var t = await TestNode.StartAsync();
        var alice = await t.SayAsync("alice", "help");
        var carol = await t.SayAsync("carol", "help");
        Assert.Equal(CommandOutcome.Succeeded, alice.Outcome);
        Assert.Contains("token revoke", alice.Replies[0].Text);
        Assert.DoesNotContain("token revoke", carol.Replies[0].Text);
        Assert.Contains("history", carol.Replies[0].Text);
        Assert.Contains("e.g. `history 20 in ops by bob`", carol.Replies[0].Text);
    }

    [Fact]
    public async Task A_read_command_is_answered_only_once_message_command_decision_and_reply_are_durable_and_the_question_is_published_first()
    {
        await using var t = await TestNode.StartAsync();
        var seen = new List<RoomEvent>();
        using var _ = t.Node.Feed.Listen(e => { lock (seen) seen.Add(e); return ValueTask.CompletedTask; });
        var result = await t.SayAsync("bob", "whoami");
        Assert.Equal(CommandOutcome.Succeeded, result.Outcome);
        var entries = await t.Node.Ledger.QueryAsync(new LedgerQuery(0, 100, null, null, null, result.MessageId, null, null, null, false), CancellationToken.None);
        Assert.Equal([LedgerKinds.Message, LedgerKinds.Command, LedgerKinds.Decision, LedgerKinds.Reply], entries.Select(e => e.Kind));
        lock (seen) Assert.Equal([result.MessageId, result.Replies[0].Id], seen.Select(e => e.Message.Id));
    }
}
