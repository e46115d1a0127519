using System.Collections.Concurrent;
using Capstan.Core.Commands;
using Capstan.Core.Conversation;
using Capstan.Core.Jobs;

namespace Capstan.Core.Tests;

public sealed class JobTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static JobRequest Request(string title, TimeSpan? timeout = null) =>
        new("test", title, "alice", "ops", "t1", timeout ?? TimeSpan.FromMinutes(5));

    private static async Task Eventually(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("never happened: " + what);
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task A_job_reports_progress_by_editing_one_message_and_keeps_its_whole_output()
    {
        await using var t = await TestNode.StartAsync();
        t.Node.Jobs.ProgressInterval = TimeSpan.FromMilliseconds(20);
        var events = new ConcurrentQueue<RoomEvent>();
        using var _ = t.Node.Feed.Listen(e => { events.Enqueue(e); return ValueTask.CompletedTask; });
        var step = new SemaphoreSlim(0);
        var job = await t.Node.Jobs.StartAsync(Request("count to 40"), async ctx =>
        {
            for (var i = 1; i <= 40; i++) ctx.Line($"line {i}");
            ctx.Report(50, "half way");
            ctx.AddTable("rows", new Table(["name", "size"], [["db", "3 MB"]]));
            await step.WaitAsync(ctx.Cancellation);
            return JobOutcome.Ok("counted", new Table(["n"], [["40"]]));
        }, CancellationToken.None);

        await Eventually(() => Task.FromResult(events.Any(e => e.Type == RoomEvent.Edited && e.Message.Text.Contains("50%") && e.Message.Text.Contains("line 40"))), "a progress edit");
        var progress = events.First(e => e.Type == RoomEvent.Edited).Message;
        Assert.Contains("ETA", progress.Text);
        Assert.Contains($"cancel {job.Id}", progress.Text);
        step.Release();
        var done = await t.Node.Jobs.WaitAsync(job.Id, CancellationToken.None);

        Assert.Equal(JobState.Succeeded, done.State);
        var posted = events.Where(e => e.Type == RoomEvent.Posted && e.Message.Text.StartsWith($"Job {job.Id}")).ToList();
        Assert.Single(posted);
        Assert.All(events.Where(e => e.Type == RoomEvent.Edited), e => Assert.Equal(posted[0].Message.Id, e.Message.Id));
        var last = events.Last(e => e.Type == RoomEvent.Edited).Message;
        Assert.Contains("succeeded", last.Text);
        Assert.Equal("40", last.Table!.Rows[0][0]);
        Assert.Contains($"In full (40 line(s) of output, 1 result table(s)): /jobs/{job.Id}", last.Text);
        Assert.Contains($"live: /jobs/{job.Id}", progress.Text);
        var closing = events.Last(e => e.Type == RoomEvent.Posted).Message;
        Assert.Equal($"{job.Id} succeeded: counted — /jobs/{job.Id}", closing.Text);
        Assert.Equal(ReplyTone.Success, closing.Tone);
        Assert.Equal("t1", closing.ThreadId);

        var view = await t.Node.Jobs.Jobs.GetAsync(job.Id, CancellationToken.None);
        Assert.Equal(40, view!.Output.Count);
        Assert.Equal("line 1", view.Output[0]);
        Assert.Equal("counted", view.Job.Summary);
        Assert.Equal("40", view.Result!.Rows[0][0]);
        var named = Assert.Single(view.Tables);
        Assert.Equal("rows", named.Name);
        Assert.Equal("db", named.Table.Rows[0][0]);
        var newer = await t.Node.Jobs.Jobs.GetAsync(job.Id, CancellationToken.None, fromLine: 30);
        Assert.Equal(30, newer!.OutputFrom);
        Assert.Equal(["line 31", "line 32"], newer.Output.Take(2));
        Assert.Equal(40, newer.OutputCount);
        var none = await t.Node.Jobs.Jobs.GetAsync(job.Id, CancellationToken.None, fromLine: 40);
        Assert.Empty(none!.Output);
        Assert.Equal(40, none.OutputCount);

        var list = await t.SayAsync("carol", "jobs");
        Assert.Contains(job.Id, list.Replies[0].Table!.ToText());
        var show = await t.SayAsync("carol", $"job {job.Id}");
        Assert.Contains("succeeded", show.Replies[0].Text);
        Assert.Contains($"Last 15 of 40 lines (all of them: /jobs/{job.Id})", show.Replies[0].Text);
        Assert.Contains("line 40", show.Replies[0].Text);
        Assert.DoesNotContain("line 25\n", show.Replies[0].Text);
    }

    [Fact]
    public async Task Cancel_stops_a_running_job_and_cancelling_twice_says_it_is_already_cancelled()
    {
        await using var t = await TestNode.StartAsync();
        var job = await t.Node.Jobs.StartAsync(Request("wait forever"), async ctx =>
        {
            await Task.Delay(Timeout.Infinite, ctx.Cancellation);
            return JobOutcome.Ok("never");
        }, CancellationToken.None);

        var first = await t.SayAsync("bob", $"cancel {job.Id}");
        Assert.Equal(CommandOutcome.Succeeded, first.Outcome);
        Assert.Contains($"Cancelled job {job.Id}", first.Replies[0].Text);
        var second = await t.SayAsync("bob", $"cancel {job.Id}");
        Assert.Contains("already cancelled", second.Replies[0].Text);

        var done = await t.Node.Jobs.WaitAsync(job.Id, CancellationToken.None);
        Assert.Equal(JobState.Cancelled, done.State);
        Assert.Contains("cancelled by bob", done.Summary);
    }

    [Fact]
    public async Task A_job_that_runs_past_its_timeout_is_stopped_and_a_failing_one_says_why()
    {
        await using var t = await TestNode.StartAsync();
        var slow = await t.Node.Jobs.StartAsync(Request("hang", TimeSpan.FromMilliseconds(200)), async ctx =>
        {
            await Task.Delay(Timeout.Infinite, ctx.Cancellation);
            return JobOutcome.Ok("never");
        }, CancellationToken.None);
        var broken = await t.Node.Jobs.StartAsync(Request("break"), _ => throw new InvalidOperationException("the disk is full"), CancellationToken.None);

        Assert.Equal(JobState.TimedOut, (await t.Node.Jobs.WaitAsync(slow.Id, CancellationToken.None)).State);
        var failed = await t.Node.Jobs.WaitAsync(broken.Id, CancellationToken.None);
        Assert.Equal(JobState.Failed, failed.State);
        Assert.Equal("the disk is full", failed.Summary);
        var again = await t.SayAsync("bob", $"cancel {broken.Id}");
        Assert.Contains("already ended (failed)", again.Replies[0].Text);
    }

    [Fact]
    public async Task Jobs_left_running_by_a_crash_are_marked_interrupted_when_capstan_starts_again()
    {
        var root = Path.Combine(Path.GetTempPath(), "capstan-test-" + Guid.NewGuid().ToString("N")[..10]);
        var crashed = await TestNode.StartAsync(root);
        var hang = new TaskCompletionSource<JobOutcome>();
        var job = await crashed.Node.Jobs.StartAsync(Request("long copy"), _ => hang.Task, CancellationToken.None);
        await Eventually(async () => (await crashed.Node.Jobs.Jobs.GetAsync(job.Id, CancellationToken.None))!.Job.ProgressMessage is not null, "the progress message");

        // A second process opening the same data folder sees the first one's job left running.
        await using (var restarted = await TestNode.StartAsync(root))
        {
            var recovered = await restarted.Node.Jobs.RecoverAsync();
            Assert.Contains(recovered, j => j.Id == job.Id);
            var view = await restarted.Node.Jobs.Jobs.GetAsync(job.Id, CancellationToken.None);
            Assert.Equal(JobState.Interrupted, view!.Job.State);
            var show = await restarted.SayAsync("carol", $"job {job.Id}");
            Assert.Contains("interrupted", show.Replies[0].Text);
            hang.SetResult(JobOutcome.Ok("finished late"));
            var late = await crashed.Node.Jobs.WaitAsync(job.Id, CancellationToken.None);
            Assert.Equal(JobState.Interrupted, late.State);
        }
        await crashed.DisposeAsync();
    }

    [Fact]
    public async Task Stopping_capstan_interrupts_running_jobs()
    {
        await using var t = await TestNode.StartAsync();
        var job = await t.Node.Jobs.StartAsync(Request("wait"), async ctx =>
        {
            await Task.Delay(Timeout.Infinite, ctx.Cancellation);
            return JobOutcome.Ok("never");
        }, CancellationToken.None);
        await t.Node.Jobs.StopAsync(CancellationToken.None);
        var view = await t.Node.Jobs.Jobs.GetAsync(job.Id, CancellationToken.None);
        Assert.Equal(JobState.Interrupted, view!.Job.State);
    }
}
