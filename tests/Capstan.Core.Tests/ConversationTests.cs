using Microsoft.Extensions.Time.Testing;
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
    public async Task Help_for_one_command_shows_arguments_permission_and_examples()
    {
        await using var t = await TestNode.StartAsync();
        var r = await t.SayAsync("carol", "help token revoke");
        var text = r.Replies[0].Text;
        Assert.Contains("`token revoke WHO`", text);
        Assert.Contains("Permission: 'admin' (you do not have it)", text);
        Assert.Contains("destructive, asks you to confirm first", text);
        Assert.Contains("`token revoke bob`", text);
    }

    [Fact]
    public async Task Whoami_names_person_roles_permissions_and_handles()
    {
        await using var t = await TestNode.StartAsync();
        var text = (await t.SayAsync("bob", "whoami")).Replies[0].Text;
        Assert.Contains("You are bob (Bob Builder)", text);
        Assert.Contains("Roles: deployer", text);
        Assert.Contains("lock (environments dev, staging)", text);
        Assert.Contains("irc: bob", text);
        var irc = await t.SayOnAsync("irc", "alice", "whoami");
        Assert.Contains("You are alice", irc.Replies[0].Text);
    }

    [Fact]
    public async Task A_guest_is_told_how_to_get_access()
    {
        await using var t = await TestNode.StartAsync();
        var who = await t.SayOnAsync("irc", "mallory", "whoami");
        Assert.Contains("a guest with no permissions", who.Replies[0].Text);
        Assert.Contains("handles: { irc: mallory }", who.Replies[0].Text);
        var history = await t.SayOnAsync("irc", "mallory", "history");
        Assert.Equal(CommandOutcome.Refused, history.Outcome);
        Assert.Contains("not linked to anyone", history.Replies[0].Text);
    }

    [Fact]
    public async Task History_searches_the_ledger_by_room_and_person()
    {
        await using var t = await TestNode.StartAsync();
        await t.SayAsync("bob", "hello from bob", room: "dev", addressed: false);
        await t.SayAsync("alice", "hello from alice", room: "dev", addressed: false);
        var r = await t.SayAsync("carol", "history 10 in dev by bob");
        var table = r.Replies[0].Table!;
        Assert.Contains(table.Rows, row => row[5] == "hello from bob");
        Assert.DoesNotContain(table.Rows, row => row[5] == "hello from alice");
        Assert.All(table.Rows, row => Assert.Equal("bob", row[2]));
    }

    [Fact]
    public async Task Denied_commands_say_which_permission_is_missing_and_are_recorded()
    {
        await using var t = await TestNode.StartAsync();
        var r = await t.SayAsync("carol", "token revoke bob");
        Assert.Equal(CommandOutcome.Refused, r.Outcome);
        Assert.Contains("needs permission 'admin'", r.Replies[0].Text);
        Assert.Contains("alice", r.Replies[0].Text);
        var decisions = await t.Node.Ledger.QueryAsync(new LedgerQuery(Kind: LedgerKinds.Decision, Actor: "carol"), default);
        Assert.Contains(decisions, d => d.Data.Contains("\"allowed\":false") && d.Data.Contains("token revoke"));
    }

    [Fact]
    public async Task Destructive_commands_ask_for_a_time_limited_confirmation_from_the_same_person()
    {
        var clock = new FakeTimeProvider();
        await using var t = await TestNode.StartAsync(clock: clock);
        await t.Node.Tokens.IssueAsync("bob", Access.TokenKind.Api, "laptop", null, default);
        var ask = await t.SayAsync("alice", "token revoke bob");
        Assert.Equal(CommandOutcome.Pending, ask.Outcome);
        var code = System.Text.RegularExpressions.Regex.Match(ask.Replies[0].Text, "confirm ([A-Z0-9]{4})").Groups[1].Value;
        Assert.Equal(1, (await t.Node.Tokens.ListAsync("bob", default)).Count(x => x.RevokedAt is null));

        var other = await t.SayAsync("bob", $"confirm {code}");
        Assert.Equal(CommandOutcome.Refused, other.Outcome);
        Assert.Contains("belongs to alice", other.Replies[0].Text);

        var done = await t.SayAsync("alice", $"confirm {code}");
        Assert.Equal(CommandOutcome.Succeeded, done.Outcome);
        Assert.Contains("Revoked 1 token", done.Replies[0].Text);
        Assert.Equal(0, (await t.Node.Tokens.ListAsync("bob", default)).Count(x => x.RevokedAt is null));

        var again = await t.SayAsync("alice", "token revoke bob");
        var code2 = System.Text.RegularExpressions.Regex.Match(again.Replies[0].Text, "confirm ([A-Z0-9]{4})").Groups[1].Value;
        clock.Advance(TimeSpan.FromMinutes(3));
        var late = await t.SayAsync("alice", $"confirm {code2}");
        Assert.Equal(CommandOutcome.Refused, late.Outcome);
        Assert.Contains("expired", late.Replies[0].Text);

        var third = await t.SayAsync("alice", "token revoke bob");
        var code3 = System.Text.RegularExpressions.Regex.Match(third.Replies[0].Text, "confirm ([A-Z0-9]{4})").Groups[1].Value;
        var cancelled = await t.SayAsync("alice", $"cancel {code3}");
        Assert.Contains("will not run", cancelled.Replies[0].Text);
        Assert.Equal(CommandOutcome.Refused, (await t.SayAsync("alice", $"confirm {code3}")).Outcome);
    }

    [Fact]
    public async Task A_confirmation_offers_Confirm_and_Cancel_buttons_that_run_the_commands_its_text_names()
    {
        await using var t = await TestNode.StartAsync();
        await t.Node.Tokens.IssueAsync("bob", Access.TokenKind.Api, "laptop", null, default);
        var ask = await t.SayAsync("alice", "token revoke bob");
        var code = System.Text.RegularExpressions.Regex.Match(ask.Replies[0].Text, "confirm ([A-Z0-9]{4})").Groups[1].Value;
        var actions = ask.Replies[0].Actions!;
        Assert.Equal([("Confirm", $"confirm {code}"), ("Cancel", $"cancel {code}")], actions.Select(a => (a.Label, a.Command)));
        Assert.Equal(ActionStyle.Danger, actions[0].Style);
        var done = await t.SayAsync("alice", actions[0].Command);
        Assert.Equal(CommandOutcome.Succeeded, done.Outcome);
        Assert.Null(done.Replies[0].Actions);
    }

    [Fact]
    public async Task Empty_huge_and_unknown_room_messages_are_refused_with_a_reason()
    {
        await using var t = await TestNode.StartAsync();
        var empty = await t.SayAsync("bob", "   ");
        Assert.Equal(CommandOutcome.Invalid, empty.Outcome);
        Assert.Contains("empty", empty.Replies[0].Text);
        var huge = await t.SayAsync("bob", new string('x', 100 * 1024));
        Assert.Equal(CommandOutcome.Invalid, huge.Outcome);
        Assert.Contains("the limit is 16,000", huge.Replies[0].Text);
        var refused = await t.Node.Ledger.QueryAsync(new LedgerQuery(Kind: LedgerKinds.MessageRefused), default);
        Assert.Single(refused);
        var room = await t.SayAsync("bob", "help", room: "opps");
        Assert.Contains("unknown room 'opps' — did you mean 'ops'?", room.Replies[0].Text);
    }

    [Fact]
    public async Task Every_step_is_durable_in_the_ledger_before_the_reply_returns()
    {
        await using var t = await TestNode.StartAsync();
        var r = await t.SayAsync("bob", "whoami");
        var entries = await t.Node.Ledger.QueryAsync(new LedgerQuery(Thread: r.MessageId, Limit: 50), default);
        Assert.Equal([LedgerKinds.Message, LedgerKinds.Command, LedgerKinds.Decision, LedgerKinds.Reply], entries.Select(e => e.Kind).ToArray());
        Assert.Contains(r.Replies[0].Id, entries[^1].Data);
    }

    [Fact]
    public async Task Concurrent_posts_from_many_clients_are_all_recorded_in_one_intact_chain()
    {
        await using var t = await TestNode.StartAsync();
        string[] people = ["alice", "bob", "carol"];
        var tasks = Enumerable.Range(0, 300).Select(i => Task.Run(() => t.SayAsync(people[i % 3], i % 2 == 0 ? "whoami" : $"note {i}", addressed: false))).ToList();
        var results = await Task.WhenAll(tasks);
        Assert.Equal(300, results.Select(r => r.MessageId).Distinct().Count());
        var messages = await t.Node.Ledger.QueryAsync(new LedgerQuery(Kind: LedgerKinds.Message, Limit: 1000), default);
        Assert.Equal(300, messages.Count);
        var verification = await Ledger.Ledger.VerifyAsync(t.Node.Ledger.Store, default);
        Assert.True(verification.Intact, verification.Problem);
        Assert.True(verification.Checked >= 300 + 150 * 3);
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

    [Fact]
    public async Task A_read_command_that_records_something_itself_follows_its_message_and_is_answered_after_it()
    {
        await using var t = await TestNode.StartAsync();
        // A read-only command's entries are written as one batch; a handler that records (and waits for) an entry of its
        // own must neither wait for the batch forever nor land before the message that asked for it.
        t.Node.Registry.Add(new CommandSpec("probe", "Basics", "Record a probe reading")
            .Needs(CoreCommands.ReadPermission)
            .Example("probe")
            .Runs<Ledger.Ledger>(async (ctx, ledger) =>
            {
                var reading = await ledger.AppendAsync("probe.reading", ctx.Actor.LedgerName, ctx.Room, ctx.Thread, new { value = 42 });
                return CommandResult.Info($"reading {reading.Seq} recorded");
            }));
        var result = await t.SayAsync("bob", "probe").WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(CommandOutcome.Succeeded, result.Outcome);
        var entries = await t.Node.Ledger.QueryAsync(new LedgerQuery(Thread: result.MessageId, Limit: 50), default);
        Assert.Equal([LedgerKinds.Message, LedgerKinds.Command, LedgerKinds.Decision, "probe.reading", LedgerKinds.Reply], entries.Select(e => e.Kind));
        Assert.Contains($"reading {entries[3].Seq} recorded", result.Replies[0].Text);
    }

    [Fact]
    public async Task A_handler_receives_the_services_it_names_and_one_nobody_registered_is_a_failure_that_names_it()
    {
        await using var t = await TestNode.StartAsync();
        t.Node.Registry.Add(new CommandSpec("sources", "Basics", "Count history sources and read the ledger")
            .Needs(CoreCommands.ReadPermission)
            .Runs<IEnumerable<Unregistered>, Ledger.Ledger>((ctx, none, ledger) =>
                Task.FromResult(CommandResult.Info($"{none.Count()} unregistered, ledger {(ledger == t.Node.Ledger ? "is the node's" : "is another")}"))));
        t.Node.Registry.Add(new CommandSpec("unwired", "Basics", "Use a service no module registers")
            .Needs(CoreCommands.ReadPermission)
            .Runs<Unregistered>((ctx, _) => Task.FromResult(CommandResult.Info("ran"))));

        var sources = await t.SayAsync("bob", "sources");
        Assert.Equal("0 unregistered, ledger is the node's", sources.Replies[0].Text);

        var unwired = await t.SayAsync("bob", "unwired");
        Assert.Equal(CommandOutcome.Failed, unwired.Outcome);
        Assert.StartsWith("'unwired' failed: Unregistered is not available; is its module registered? (ledger entry ", unwired.Replies[0].Text);
        var errors = await t.Node.Ledger.QueryAsync(new LedgerQuery(Kind: "command.error", Limit: 10), default);
        Assert.Contains(errors, e => e.Data.Contains("Unregistered is not available", StringComparison.Ordinal));
    }

    /// <summary>A service no module registers.</summary>
    public sealed class Unregistered;

    [Fact]
    public async Task A_read_command_that_has_to_wait_shows_and_records_its_message_before_it_answers()
    {
        await using var t = await TestNode.StartAsync();
        var proceed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        t.Node.Registry.Add(new CommandSpec("slowprobe", "Basics", "Probe something slow")
            .Needs(CoreCommands.ReadPermission)
            .Example("slowprobe")
            .Runs(async _ =>
            {
                await proceed.Task;
                return CommandResult.Info("probed");
            }));
        var posted = new TaskCompletionSource<RoomEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var _ = t.Node.Feed.Listen(e => { if (e.Message.Text == "slowprobe") posted.TrySetResult(e); return ValueTask.CompletedTask; });

        var answer = t.SayAsync("bob", "slowprobe");
        // While the probe is still running, the room already sees the question and the ledger holds it.
        var seen = await posted.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(answer.IsCompleted);
        var recorded = await t.Node.Ledger.QueryAsync(new LedgerQuery(Thread: seen.Message.Id, Limit: 10), default);
        Assert.Equal([LedgerKinds.Message, LedgerKinds.Command, LedgerKinds.Decision], recorded.Select(e => e.Kind));

        proceed.SetResult();
        var result = await answer.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("probed", result.Replies[0].Text);
    }

    [Fact]
    public async Task Direct_messages_are_for_their_person_only_while_admins_can_still_audit_them()
    {
        await using var t = await TestNode.StartAsync();
        var room = RoomDirectory.DirectRoom("bob");
        t.Node.Rooms.Open(room, "Direct messages from Capstan to bob");
        await t.Node.Outbox.PostAsync(room, null, new Reply("You are now commander of INC-7: join #inc-7."));

        // Someone else can neither speak there nor search it.
        var posted = await t.SayAsync("carol", "whoami", room);
        Assert.Equal(CommandOutcome.Invalid, posted.Outcome);
        Assert.Contains("only bob can read it", posted.Replies[0].Text);
        var searched = await t.SayAsync("carol", $"history in {room}");
        Assert.Equal(CommandOutcome.Refused, searched.Outcome);
        var everything = await t.SayAsync("carol", "history 200");
        Assert.DoesNotContain(everything.Replies[0].Table!.Rows, r => r[3] == "#" + room);
        Assert.Empty(await t.Node.Ledger.QueryAsync(new LedgerQuery(Room: room, Reader: "carol"), default));

        // The person it is for can; so can an admin, who audits the whole ledger.
        var own = await t.SayAsync("bob", $"history in {room}");
        Assert.Equal(CommandOutcome.Succeeded, own.Outcome);
        Assert.Contains(own.Replies[0].Table!.Rows, r => r[3] == "#" + room);
        var audit = await t.SayAsync("alice", "history 200");
        Assert.Contains(audit.Replies[0].Table!.Rows, r => r[3] == "#" + room);
        Assert.Equal(CommandOutcome.Succeeded, (await t.SayAsync("bob", "whoami", room)).Outcome);
    }
}
