using Capstan.Core.Commands;

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
}
