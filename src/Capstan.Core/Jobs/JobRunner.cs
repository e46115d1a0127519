using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Capstan.Core.Commands;
using Capstan.Core.Conversation;
using Capstan.Core.Ledger;
using Capstan.Core.Ledger.Events;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Capstan.Core.Jobs;

/// <summary>The work a job does; it reports through its <see cref="JobContext"/> and stops when its token fires.</summary>
public delegate Task<JobOutcome> JobWork(JobContext context);

/// <summary>
/// Runs jobs in the background: records each durably, shows progress by editing one chat message in its
/// thread (saved and edited at most once per <see cref="ProgressInterval"/>; each chat place then shows the
/// edits at the pace its platform allows, see <see cref="EditLimit"/>), links the job's web page, enforces
/// timeouts, cancels on request (the core <c>cancel</c> command reaches it), and on start marks jobs a
/// previous run left behind as interrupted.
/// </summary>
public sealed class JobRunner(Jobs jobs, Outbox outbox, Ledger.Ledger ledger, Redactor redactor, TimeProvider clock, ILogger<JobRunner>? log = null) : IHostedService, ICancellationSource
{
    private readonly ILogger _log = log ?? NullLogger<JobRunner>.Instance;

    public const string Started = "job.started";
    public const string Finished = JobFinished.Kind;

    private readonly ConcurrentDictionary<long, Running> _running = new();
    private readonly Lock _recoverGate = new();
    private Task<IReadOnlyList<JobRecord>>? _recovered;

    /// <summary>
    /// How often a running job saves its progress and output and edits its message. This is the fastest any
    /// place sees it; a place with a stricter <see cref="EditLimit"/> gets fewer, merged updates.
    /// </summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The web UI's address (http://host:port) once a server listens; job links are relative without it.</summary>
    public string? WebAddress { get; set; }

    /// <summary>The web page of a job: its full output, results and live progress.</summary>
    public string PageFor(string id) => $"{WebAddress?.TrimEnd('/')}/jobs/{id}";

    public Jobs Jobs => jobs;

    /// <summary>Records a job, posts its progress message and starts the work in the background.</summary>
    public async Task<JobRecord> StartAsync(JobRequest request, JobWork work, CancellationToken ct)
    {
        var job = await jobs.CreateAsync(request, ct);
        await ledger.AppendAsync(Started, request.Actor, request.Room, request.Thread, new { job = job.Id, kind = job.Kind, title = job.Title, timeout = DurationText.Format(job.Timeout) });
        Launch(job, work, null);
        return job;
    }

    /// <summary>Completes when the job has finished (at once when it already has).</summary>
    public async Task<JobRecord> WaitAsync(string id, CancellationToken ct)
    {
        if (JobId.TryParse(id, out var n) && _running.TryGetValue(n, out var r)) return await r.Done.Task.WaitAsync(ct);
        return (await jobs.GetAsync(id, ct))?.Job ?? throw new KeyNotFoundException($"there is no job {id}");
    }

    /// <summary>Jobs running in this process now.</summary>
    public IReadOnlyCollection<string> RunningIds => _running.Values.Select(r => r.Job.Id).ToList();

    private void Launch(JobRecord job, JobWork work, RoomMessage? message)
    {
        var running = new Running(job, new CancellationTokenSource());
        _running[job.Number] = running;
        Task.Run(() => RunAsync(running, work, message)).ContinueWith(
            t => _log.LogError(t.Exception, "Job {Job} could not be finished or recorded", job.Id), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    private async Task RunAsync(Running r, JobWork work, RoomMessage? message)
    {
        var job = r.Job;
        var started = clock.GetUtcNow();
        using var timeout = new CancellationTokenSource(job.Timeout, clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(r.Cancel.Token, timeout.Token);
        var kept = message is null ? 0 : await jobs.OutputCountAsync(job.Number, CancellationToken.None);
        var context = new JobContext(job, redactor.Redact, linked.Token, kept);
        try
        {
            if (message is null)
            {
                message = await outbox.PostAsync(job.Room, job.Thread, new Reply(Render(job, context, started), ReplyTone.Info));
                await jobs.SetMessageAsync(job.Number, message.Id, CancellationToken.None);
            }
            var task = Task.Run(() => work(context), CancellationToken.None);
            while (!task.IsCompleted)
            {
                await Task.WhenAny(task, Task.Delay(ProgressInterval, clock));
                if (task.IsCompleted || !context.Dirty) continue;
                await SaveAsync(job, context);
                message = await outbox.EditAsync(message, new Reply(Render(job, context, started), ReplyTone.Info));
            }
            var (state, summary, table) = await EndAsync(task, r, timeout, job);
            await SaveAsync(job, context);
            summary = redactor.Redact(summary);
            table = table?.MapCells(redactor.Redact);
            var tables = context.Tables();
            await jobs.FinishAsync(job.Number, state, summary, table, tables, CancellationToken.None);
            var took = clock.GetUtcNow() - started;
            var tone = state switch { JobState.Succeeded => ReplyTone.Success, JobState.Failed or JobState.TimedOut => ReplyTone.Error, _ => ReplyTone.Warning };
            var inFull = new List<string>();
            if (context.LineCount > 0) inFull.Add($"{context.LineCount} line(s) of output");
            if (tables.Count > 0) inFull.Add($"{tables.Count} result table(s)");
            var text = $"Job {job.Id} · {job.Title} — {Word(state)} after {DurationText.Format(took)}: {summary}" +
                (inFull.Count > 0 ? $"\nIn full ({string.Join(", ", inFull)}): {PageFor(job.Id)} · `job {job.Id}` shows the end here." : "");
            await outbox.EditAsync(message, new Reply(text, tone, table));
            // A closing line in the thread: platforms notify people of new messages, not of edits, and
            // `capstan say` knows from it that the job has ended (and how).
            await outbox.PostAsync(job.Room, job.Thread, new Reply($"{job.Id} {Word(state)}: {summary}" + (inFull.Count > 0 ? $" — {PageFor(job.Id)}" : ""), tone), message.Id);
            await ledger.AppendAsync(new JobFinished(job.Id, job.Kind, state.ToString().ToLowerInvariant(), summary, Math.Round(took.TotalSeconds, 3)), job.Actor, job.Room, job.Thread);
        }
        catch (Exception ex)
        {
            // The job's own failures are handled above; this is storage or chat failing. Record what we can.
            _log.LogError(ex, "Job {Job} ({Title}) could not be recorded or shown", job.Id, job.Title);
            await jobs.FinishAsync(job.Number, JobState.Failed, "Capstan could not record this job: " + ex.Message, null, null, CancellationToken.None);
        }
        finally
        {
            _running.TryRemove(job.Number, out _);
            r.Cancel.Dispose();
            r.Done.TrySetResult((await jobs.GetAsync(job.Id, CancellationToken.None))?.Job ?? job);
        }
    }

    private async Task<(JobState, string, Table?)> EndAsync(Task<JobOutcome> task, Running r, CancellationTokenSource timeout, JobRecord job)
    {
        try
        {
            var outcome = await task;
            if (r.Cancel.IsCancellationRequested) return (r.StopState, r.StopReason, outcome.Table);
            return (outcome.Succeeded ? JobState.Succeeded : JobState.Failed, outcome.Summary, outcome.Table);
        }
        catch (OperationCanceledException) when (r.Cancel.IsCancellationRequested)
        {
            return (r.StopState, r.StopReason, null);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return (JobState.TimedOut, $"stopped after its timeout of {DurationText.Format(job.Timeout)}", null);
        }
        catch (Exception ex)
        {
            _log.LogWarning(ex, "Job {Job} ({Title}) failed with an unexpected error", job.Id, job.Title);
            return (JobState.Failed, ex.Message, null);
        }
    }

    private async Task SaveAsync(JobRecord job, JobContext context)
    {
        var (percent, status, lines, first, resume) = context.TakeUnsaved();
        await jobs.SaveProgressAsync(job.Number, percent, status, resume, lines, first, CancellationToken.None);
    }

    private string Render(JobRecord job, JobContext context, DateTimeOffset started)
    {
        var sb = new StringBuilder($"Job {job.Id} · {job.Title} — running");
        var elapsed = clock.GetUtcNow() - started;
        if (context.Percent is { } p)
        {
            sb.Append(CultureInfo.InvariantCulture, $" · {p:0}%");
            if (p is > 0 and < 100) sb.Append(" · ETA ").Append(DurationText.Format(TimeSpan.FromSeconds(Math.Ceiling(elapsed.TotalSeconds * (100 - p) / p))));
        }
        sb.Append(" · ").Append(DurationText.Format(elapsed));
        if (context.Status.Length > 0) sb.Append('\n').Append(context.Status);
        var tail = context.Tail();
        if (tail.Count > 0) sb.Append("\n```\n").Append(string.Join('\n', tail.Select(l => l.Length > 200 ? l[..200] + "…" : l))).Append("\n```");
        sb.Append($"\n`cancel {job.Id}` stops it · live: {PageFor(job.Id)}");
        return sb.ToString();
    }

    private static string Word(JobState s) => s switch
    {
        JobState.Succeeded => "succeeded",
        JobState.Failed => "failed",
        JobState.Cancelled => "cancelled",
        JobState.TimedOut => "timed out",
        JobState.Interrupted => "interrupted",
        _ => "running",
    };

    /// <summary>Cancels a running job; says so when it was already cancelled or has finished.</summary>
    public async Task<CommandResult?> TryCancelAsync(string id, CommandContext context)
    {
        if (!JobId.TryParse(id, out var number)) return null;
        if (_running.TryGetValue(number, out var r))
        {
            if (context.Actor.Person is null) return CommandResult.Refuse("Guests cannot cancel jobs.");
            if (!r.RequestStop(JobState.Cancelled, $"cancelled by {context.Actor.LedgerName}"))
                return CommandResult.Info($"Job {r.Job.Id} is already cancelled; it is stopping.");
            await ledger.AppendAsync("job.cancel", context.Actor.LedgerName, context.Room, context.Thread, new { job = r.Job.Id });
            try { await r.Done.Task.WaitAsync(TimeSpan.FromSeconds(10), clock, context.Cancellation); }
            catch (TimeoutException) { return CommandResult.Ok($"Cancelling job {r.Job.Id} ({r.Job.Title}); it is still stopping."); }
            return CommandResult.Ok($"Cancelled job {r.Job.Id} ({r.Job.Title}); its work and processes were stopped.");
        }
        var view = await jobs.GetAsync(id, context.Cancellation);
        if (view is null) return null;
        return view.Job.State == JobState.Cancelled
            ? CommandResult.Info($"Job {view.Job.Id} is already cancelled.")
            : CommandResult.Info($"Job {view.Job.Id} already ended ({Word(view.Job.State)}); there is nothing to cancel.");
    }

    /// <summary>Marks jobs that a previous run left running as interrupted (once), and returns them.</summary>
    public Task<IReadOnlyList<JobRecord>> RecoverAsync()
    {
        lock (_recoverGate) return _recovered ??= RecoverOnceAsync();
    }

    private async Task<IReadOnlyList<JobRecord>> RecoverOnceAsync()
    {
        var left = (await jobs.RunningAsync(CancellationToken.None)).Where(j => !_running.ContainsKey(j.Number)).ToList();
        foreach (var job in left)
        {
            const string why = "Capstan stopped while this job ran";
            await jobs.FinishAsync(job.Number, JobState.Interrupted, why, null, null, CancellationToken.None);
            await ledger.AppendAsync(new JobFinished(job.Id, job.Kind, "interrupted", why), job.Actor, job.Room, job.Thread);
            if (job.ProgressMessage is { } m)
                await outbox.EditAsync(ProgressMessage(job, m), new Reply($"Job {job.Id} · {job.Title} — interrupted: {why}. What it did: {PageFor(job.Id)} (or `job {job.Id}`).", ReplyTone.Warning));
        }
        return left;
    }

    /// <summary>
    /// Starts again every interrupted job of this kind that saved resume state (downloads): the same job id
    /// and progress message carry on. Call once the module that knows the kind is ready.
    /// </summary>
    public async Task<IReadOnlyList<JobRecord>> ResumeAsync(string kind, Func<JobRecord, JobWork> resume)
    {
        await RecoverAsync();
        var resumed = new List<JobRecord>();
        foreach (var job in await jobs.ResumableAsync(kind, CancellationToken.None))
        {
            if (_running.ContainsKey(job.Number) || !await jobs.ReopenAsync(job.Number, CancellationToken.None)) continue;
            var again = job with { State = JobState.Running, EndedAt = null, Summary = null };
            await ledger.AppendAsync("job.resumed", job.Actor, job.Room, job.Thread, new { job = job.Id, kind = job.Kind });
            Launch(again, resume(again), job.ProgressMessage is { } m ? ProgressMessage(job, m) : null);
            resumed.Add(again);
        }
        return resumed;
    }

    private static RoomMessage ProgressMessage(JobRecord job, string id) =>
        new(id, job.Room, job.Thread, Outbox.CapstanAuthor, AuthorKind.Capstan, "", ReplyTone.Info, job.CreatedAt);

    Task IHostedService.StartAsync(CancellationToken cancellationToken) => RecoverAsync();

    /// <summary>Stops every running job as interrupted and waits for them to record it.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var running = _running.Values.ToList();
        foreach (var r in running) r.RequestStop(JobState.Interrupted, "Capstan stopped while this job ran");
        try { await Task.WhenAll(running.Select(r => r.Done.Task)).WaitAsync(cancellationToken); }
        catch (OperationCanceledException) { }
    }

    private sealed class Running(JobRecord job, CancellationTokenSource cancel)
    {
        private int _stopRequested;
        public JobRecord Job { get; } = job;
        public CancellationTokenSource Cancel { get; } = cancel;
        public TaskCompletionSource<JobRecord> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public JobState StopState { get; private set; } = JobState.Cancelled;
        public string StopReason { get; private set; } = "cancelled";

        /// <summary>False when a stop was already requested.</summary>
        public bool RequestStop(JobState state, string reason)
        {
            if (Interlocked.Exchange(ref _stopRequested, 1) == 1) return false;
            StopState = state;
            StopReason = reason;
            try { Cancel.Cancel(); } catch (ObjectDisposedException) { }
            return true;
        }
    }
}
