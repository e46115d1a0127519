using System.Collections.Concurrent;
using System.Text.Json;
using Capstan.Core.Commands;
using Capstan.Core.Conversation;
using Capstan.Core.Ledger;

namespace Capstan.Core.Tests;

/// <summary>Known secrets are replaced where text leaves Capstan — the reply, the ledger and the live room feed alike.</summary>
public sealed class RedactionTests
{
    private const string Secret = "pg-pass-4b7e1d9a";

    [Fact]
    public async Task A_secret_in_an_exception_message_reaches_neither_the_live_room_nor_the_reply_nor_the_ledger()
    {
        await using var t = await TestNode.StartAsync();
        t.Node.Redactor.Add([Secret]);
        t.Node.Registry.Add(new CommandSpec("dbcheck", "Basics", "Check the database")
            .Needs(CoreCommands.ReadPermission)
            .Example("dbcheck")
            .Runs(_ => throw new InvalidOperationException($"cannot open Host=db;Password={Secret}: connection refused")));
        var live = new ConcurrentQueue<RoomEvent>();
        using var listening = t.Node.Feed.Listen(e => { live.Enqueue(e); return ValueTask.CompletedTask; });

        var result = await t.SayAsync("bob", "dbcheck");

        Assert.Equal(CommandOutcome.Failed, result.Outcome);
        var answer = Assert.Single(live, e => e.Message.Author == Outbox.CapstanAuthor);
        Assert.Contains("cannot open Host=db;Password=[redacted]: connection refused", answer.Message.Text);
        Assert.DoesNotContain(Secret, answer.Message.Text);
        Assert.DoesNotContain(Secret, result.Replies[0].Text);
        var entries = await t.Node.Ledger.QueryAsync(new LedgerQuery(Thread: result.MessageId, Limit: 50), default);
        Assert.DoesNotContain(entries, e => JsonSerializer.Serialize(e).Contains(Secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Text_published_straight_to_the_room_feed_and_edits_are_redacted_for_every_listener()
    {
        await using var t = await TestNode.StartAsync();
        t.Node.Redactor.Add([Secret]);
        var live = new ConcurrentQueue<RoomEvent>();
        using var listening = t.Node.Feed.Listen(e => { live.Enqueue(e); return ValueTask.CompletedTask; });

        var posted = await t.Node.Outbox.PostAsync("ops", null, new Reply("step ok", ReplyTone.Info, new Table(["key", "value"], [["password", Secret]])));
        await t.Node.Outbox.EditAsync(posted, new Reply($"now {Secret}", ReplyTone.Info));
        await t.Node.Feed.PublishAsync(new RoomEvent(RoomEvent.Posted, posted with { Text = $"raw {Secret}" }));

        Assert.Equal(3, live.Count);
        Assert.All(live, e => Assert.DoesNotContain(Secret, e.Message.Text + string.Join(" ", e.Message.Table?.Rows.SelectMany(r => r) ?? [])));
        Assert.Equal("[redacted]", live.First().Message.Table!.Rows[0][1]);
    }
}
