using Microsoft.Extensions.Time.Testing;
using System.Collections.Concurrent;
using Capstan.Core.Commands;
using Capstan.Core.Conversation;
using Capstan.Core.Jobs;
using Capstan.Core.Ledger;

namespace Capstan.Core.Tests;

/// <summary>Each chat place gets edits at the pace its platform allows, merged, and always the last state.</summary>
public sealed class EditPacingTests
{
    /// <summary>A chat place that records what it was given, as an adapter would send it on.</summary>
    private sealed class RecordingPlace(string name, EditLimit edits) : IChatPlace
    {
        public readonly ConcurrentQueue<(DateTimeOffset At, RoomEvent Event)> Got = new();
        private readonly ConcurrentDictionary<string, int> _inFlight = new();
        public TimeProvider Clock { get; set; } = TimeProvider.System;
        public string Name => name;
        public EditLimit Edits => edits;
        public List<string> EditTexts => Got.Where(g => g.Event.Type == RoomEvent.Edited).Select(g => g.Event.Message.Text).ToList();

        public ValueTask DeliverAsync(RoomEvent e)
        {
            if (_inFlight.AddOrUpdate(e.Message.Id, 1, (_, n) => n + 1) > 1) throw new InvalidOperationException("two deliveries of one message overlapped");
            Got.Enqueue((Clock.GetUtcNow(), e));
            _inFlight.AddOrUpdate(e.Message.Id, 0, (_, n) => n - 1);
            return ValueTask.CompletedTask;
        }
    }

    private static Reply Info(string text) => new(text, ReplyTone.Info);

    [Fact]
    public async Task Each_place_gets_at_most_one_update_per_message_per_interval_and_always_the_newest()
    {
        var clock = new FakeTimeProvider();
        await using var t = await TestNode.StartAsync(clock: clock);
        var slack = new RecordingPlace("slack", EditLimit.Every(TimeSpan.FromSeconds(1))) { Clock = clock };
        var irc = new RecordingPlace("irc", EditLimit.Reposts(TimeSpan.FromSeconds(30))) { Clock = clock };
        var web = new RecordingPlace("web", EditLimit.Live) { Clock = clock };
        using var a = t.Node.Feed.Attach(slack, clock);
        using var b = t.Node.Feed.Attach(irc, clock);
        using var c = t.Node.Feed.Attach(web, clock);
        var posted = clock.GetUtcNow();

        var m = await t.Node.Outbox.PostAsync("ops", null, Info("step 0"));
        Assert.All(new[] { slack, irc, web }, p => Assert.Equal(RoomEvent.Posted, Assert.Single(p.Got).Event.Type));
        for (var i = 1; i <= 10; i++) m = await t.Node.Outbox.EditAsync(m, Info($"step {i}"));

        // Ten edits in the same instant as the post: no place may show any yet.
        Assert.All(new[] { slack, irc, web }, p => Assert.Empty(p.EditTexts));
        clock.Advance(TimeSpan.FromMilliseconds(250));
        Assert.Equal(["step 10"], web.EditTexts);
        Assert.Empty(slack.EditTexts);
        clock.Advance(TimeSpan.FromMilliseconds(749));
        Assert.Empty(slack.EditTexts);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(["step 10"], slack.EditTexts);
        Assert.Equal(posted + TimeSpan.FromSeconds(1), slack.Got.Last().At);

        // Two more right away: merged into one, delivered when slack's second is up.
        m = await t.Node.Outbox.EditAsync(m, Info("step 11"));
        m = await t.Node.Outbox.EditAsync(m, Info("step 12"));
        Assert.Equal(["step 10", "step 11"], web.EditTexts); // web's 250 ms had passed for 11, not yet for 12
        Assert.Equal(["step 10"], slack.EditTexts);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(["step 10", "step 11", "step 12"], web.EditTexts);
        Assert.Equal(["step 10", "step 12"], slack.EditTexts);
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(2, slack.EditTexts.Count);

        // IRC cannot edit: one repost, thirty seconds after the post, with the newest text.
        Assert.Empty(irc.EditTexts);
        Assert.False(irc.Edits.InPlace);
        clock.Advance(posted + TimeSpan.FromSeconds(30) - clock.GetUtcNow());
        Assert.Equal(["step 12"], irc.EditTexts);

        // The ledger keeps every edit, whatever each place showed.
        var edits = await t.Node.Ledger.QueryAsync(new LedgerQuery(Kind: LedgerKinds.Edit, Limit: 100), CancellationToken.None);
        Assert.Equal(12, edits.Count);
    }

    [Fact]
    public async Task Posts_are_never_held_back_and_messages_are_paced_separately()
    {
        var clock = new FakeTimeProvider();
        await using var t = await TestNode.StartAsync(clock: clock);
        var slack = new RecordingPlace("slack", EditLimit.Every(TimeSpan.FromSeconds(1))) { Clock = clock };
        using var _ = t.Node.Feed.Attach(slack, clock);

        var first = await t.Node.Outbox.PostAsync("ops", null, Info("first"));
        first = await t.Node.Outbox.EditAsync(first, Info("first, edited"));
        clock.Advance(TimeSpan.FromMilliseconds(600));
        var second = await t.Node.Outbox.PostAsync("ops", null, Info("second"));
        Assert.Equal(["first", "second"], slack.Got.Where(g => g.Event.Type == RoomEvent.Posted).Select(g => g.Event.Message.Text));
        clock.Advance(TimeSpan.FromMilliseconds(400));
        Assert.Equal(["first, edited"], slack.EditTexts);
        second = await t.Node.Outbox.EditAsync(second, Info("second, edited"));
        Assert.Equal(["first, edited"], slack.EditTexts); // only 400 ms since "second" was posted
        clock.Advance(TimeSpan.FromMilliseconds(600));
        Assert.Equal(["first, edited", "second, edited"], slack.EditTexts);
    }

    [Fact]
    public async Task A_job_that_ends_right_after_a_progress_edit_still_shows_its_final_state_on_a_slow_platform()
    {
        var clock = new FakeTimeProvider();
        await using var t = await TestNode.StartAsync(clock: clock);
        t.Node.Jobs.ProgressInterval = TimeSpan.FromSeconds(1);
        var slack = new RecordingPlace("slack", EditLimit.Every(TimeSpan.FromSeconds(3))) { Clock = clock };
        using var _ = t.Node.Feed.Attach(slack, clock);
        var recorded = new ConcurrentQueue<RoomEvent>();
        using var raw = t.Node.Feed.Listen(e => { recorded.Enqueue(e); return ValueTask.CompletedTask; });
        var finish = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var job = await t.Node.Jobs.StartAsync(new JobRequest("test", "copy", "alice", "ops", "t1", TimeSpan.FromHours(1)), async ctx =>
        {
            ctx.Report(40, "40 of 100 files");
            await finish.Task.WaitAsync(ctx.Cancellation);
            return JobOutcome.Ok("copied 100 files");
        }, CancellationToken.None);

        // Drive the job's progress tick until it has edited its message with the progress.
        await Drive(clock, () => recorded.Any(e => e.Type == RoomEvent.Edited && e.Message.Text.Contains("40%")), "a progress edit");
        await Drive(clock, () => slack.EditTexts.Any(x => x.Contains("40%")), "slack showing the progress");
        var shown = slack.EditTexts.Count;

        finish.SetResult();
        await t.Node.Jobs.WaitAsync(job.Id, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains(recorded, e => e.Type == RoomEvent.Edited && e.Message.Text.Contains("succeeded"));
        // The final edit came within slack's 3 s of the progress edit: held back, not dropped.
        Assert.Equal(shown, slack.EditTexts.Count);
        Assert.DoesNotContain("succeeded", slack.EditTexts[^1]);
        clock.Advance(TimeSpan.FromSeconds(3));
        Assert.Contains("succeeded", slack.EditTexts[^1]);
        Assert.Contains("copied 100 files", slack.EditTexts[^1]);
    }

    /// <summary>Advances the manual clock a tick at a time until the condition holds (the job runs on other threads).</summary>
    private static async Task Drive(FakeTimeProvider clock, Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("never happened: " + what);
            clock.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(10);
        }
    }
}
