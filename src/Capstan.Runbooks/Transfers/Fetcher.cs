using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Win32.SafeHandles;
using Polly;
using Polly.Retry;
using Capstan.Core.Commands;
using Capstan.Core.Egress;
using Capstan.Core.Jobs;
using Capstan.Runbooks.Steps;

namespace Capstan.Runbooks.Transfers;

/// <summary>What one download is: where from, under which name, the expected checksum and who asked. Saved as the job's resume state.</summary>
public sealed record FetchPlan(string Url, string Name, string? Sha256, string By)
{
    public string ToJson() => JsonSerializer.Serialize(this);
    public static FetchPlan FromJson(string json) => JsonSerializer.Deserialize<FetchPlan>(json) ?? throw new InvalidOperationException("empty fetch plan");
}

/// <summary>
/// Downloads large files as jobs: progress with percent and speed, resumes with HTTP Range after a dropped
/// connection, a server that stops sending, or a restart; follows redirects only to http(s), enforces the size
/// limit and verifies SHA-256 (computed while the bytes arrive, so there is no second pass over the file).
/// </summary>
public sealed class Fetcher(FetchedFiles files, RunbooksOptions options, IHttpClientFactory clients, TimeProvider clock)
{
    public const string Kind = "fetch";

    /// <summary>The named HTTP client of downloads (egress-checked; registered by AddRunbooks).</summary>
    public const string Client = "runbooks.fetch";
    private const int MaxRedirects = 5;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _active = new(StringComparer.Ordinal);
    // Every connection, the first and each redirect's, is checked by the egress guard (loopback, link-local and private
    // addresses only when capstan.yaml's egress: allows them): the named client's primary handler is the guard's.
    private HttpClient Http => clients.CreateClient(Client);

    public async Task<JobOutcome> RunAsync(FetchPlan plan, JobContext job)
    {
        var ct = job.Cancellation;
        var part = files.PartialPath(plan.Name);
        if (!_active.TryAdd(plan.Name, plan.Url)) return JobOutcome.Fail($"{plan.Name} is already being fetched; `jobs` shows the download");
        var marker = part + ".url";
        // The SHA-256 is computed as the bytes arrive; it lives as long as this run, so a dropped connection
        // carries on with it, and only a restart has to read the partial file once more (Prefix).
        using var hash = new Checksum();
        try
        {
            // A partial file is carried on only for the same URL; anything else starts afresh. (Inside the try: a failure
            // here must not leave the name marked as being fetched.)
            if (File.Exists(part) && (!File.Exists(marker) || await File.ReadAllTextAsync(marker, ct) != plan.Url)) File.Delete(part);
            await File.WriteAllTextAsync(marker, plan.Url, ct);
            job.SaveResume(plan.ToJson());
            try
            {
                var total = await Resumes(part, job).ExecuteAsync(async t => await TransferAsync(plan, part, hash, job, t), ct);
                return await FinishAsync(plan, part, total, hash, job, ct);
            }
            catch (Dropped ex)
            {
                return JobOutcome.Fail($"the transfer kept dropping ({ex.Message}); gave up after {options.DownloadRetries} resumes. `fetch` the same URL again to carry on from {HttpProbe.Bytes(new FileInfo(part).Length)}");
            }
        }
        catch (StepProblem ex)
        {
            File.Delete(part);
            File.Delete(marker);
            return JobOutcome.Fail(ex.Message);
        }
        finally
        {
            // A cancelled or interrupted download keeps its partial file: a restart or the same fetch again resumes it.
            _active.TryRemove(plan.Name, out _);
        }
    }

    /// <summary>
    /// Resumes a dropped transfer (Polly retry): up to DownloadRetries times, 200 ms more to wait each time, on the
    /// injected clock; each resume is a line in the job's log. Only a drop is retried, never a refusal or a bad answer.
    /// </summary>
    private ResiliencePipeline Resumes(string part, JobContext job) => options.DownloadRetries < 1 ? ResiliencePipeline.Empty :
        new ResiliencePipelineBuilder { TimeProvider = clock }.AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Dropped>(),
            MaxRetryAttempts = options.DownloadRetries,
            BackoffType = DelayBackoffType.Linear,
            Delay = TimeSpan.FromMilliseconds(200),
            UseJitter = false,
            OnRetry = args =>
            {
                job.Line($"the connection dropped at {HttpProbe.Bytes(new FileInfo(part).Length)} ({args.Outcome.Exception?.Message}); resuming (attempt {args.AttemptNumber + 1} of {options.DownloadRetries})");
                return default;
            },
        }).Build();

    /// <summary>The most bytes read from the network in one call, and the size of each receive buffer.</summary>
    public const int Chunk = 256 << 10;

    /// <summary>
    /// How many receive buffers one download has (8 MB in all): the network can run this far ahead of the disk and
    /// the hash, so none of the three waits for another on every read.
    /// </summary>
    private const int Buffers = 32;

    /// <summary>How often progress is reported while bytes flow (the job edits chat less often still).</summary>
    private static readonly TimeSpan ReportEvery = TimeSpan.FromMilliseconds(250);

    /// <summary>Downloads what is missing of the file, hashing it on the way; returns its full size.</summary>
    private async Task<long> TransferAsync(FetchPlan plan, string part, Checksum hash, JobContext job, CancellationToken ct)
    {
        var have = File.Exists(part) ? new FileInfo(part).Length : 0;
        if (hash.Length != have)
        {
            // Carrying on a file this run did not write (after a restart): read what is there once.
            job.Report(null, $"checking the {HttpProbe.Bytes(have)} already downloaded");
            await hash.RestartAsync(part, have, ct);
        }
        var uri = new Uri(plan.Url);
        // Fires when the server sends nothing for a while: a hanging server is a dropped connection.
        using var stall = new CancellationTokenSource(Timeout.InfiniteTimeSpan, clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, stall.Token);
        for (var hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            if (have > 0) request.Headers.Range = new RangeHeaderValue(have, null);
            HttpResponseMessage response;
            stall.CancelAfter(options.DownloadStallTimeout);
            try { response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token); }
            catch (HttpRequestException ex) when (EgressGuard.Refusal(ex) is { } refused) { throw new StepProblem(refused.Message); }
            catch (HttpRequestException ex) when (have > 0) { throw new Dropped(ex.Message); }
            catch (HttpRequestException ex) { throw new StepProblem(NetworkProblem.Describe(uri.Host, uri.Port, ex)); }
            catch (OperationCanceledException) when (stall.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                var silent = $"{uri.Host}:{uri.Port} sent no answer within {DurationText.Format(options.DownloadStallTimeout)}";
                if (have > 0) throw new Dropped(silent);
                throw new StepProblem(silent + "; nothing was downloaded. Check that the address serves the file");
            }
            stall.CancelAfter(Timeout.InfiniteTimeSpan);
            using (response)
            {
                var status = (int)response.StatusCode;
                if (status is 301 or 302 or 303 or 307 or 308 && response.Headers.Location is { } location)
                {
                    var next = new Uri(uri, location);
                    if (next.Scheme is not ("http" or "https")) throw new StepProblem($"{uri} redirected to {next}; only http and https redirects are followed, so the download was refused");
                    if (hop >= MaxRedirects) throw new StepProblem($"more than {MaxRedirects} redirects; stopped at {next}");
                    uri = next;
                    continue;
                }
                if (status == 416 && have > 0 && response.Content.Headers.ContentRange?.Length == have) return have;
                if (status is not (200 or 206)) throw new StepProblem($"{uri} answered {status} {response.ReasonPhrase}; nothing was downloaded");
                if (status == 200 && have > 0)
                {
                    job.Line("the server does not resume (no Range support); starting again from the beginning");
                    have = 0;
                    hash.Reset();
                }
                long? total = status == 206 ? response.Content.Headers.ContentRange?.Length : response.Content.Headers.ContentLength;
                if (status == 206 && response.Content.Headers.ContentRange?.From is { } from && from != have)
                    throw new StepProblem($"the server resumed at byte {from}, not {have}; refusing to stitch a corrupt file");
                if (total is { } t && t > options.MaxDownloadBytes)
                    throw new StepProblem($"the file is {HttpProbe.Bytes(t)}, over the download limit of {HttpProbe.Bytes(options.MaxDownloadBytes)}; nothing was kept");
                if (have > 0) job.Line($"resuming at {HttpProbe.Bytes(have)}" + (total is { } tt ? $" of {HttpProbe.Bytes(tt)}" : ""));
                await using var input = await response.Content.ReadAsStreamAsync(ct);
                var started = clock.GetTimestamp();
                var reported = started;
                var startedAt = have;
                long received = have;
                await using var spool = new Spool(part, have, hash);
                void Progress() => Report(job, spool.Written, total, (spool.Written - startedAt) / Math.Max(clock.GetElapsedTime(started).TotalSeconds, 1e-3));
                // A server that sends nothing for the stall timeout is a dropped connection. A timer looks at a counter a
                // few times per timeout, so a read costs nothing extra (re-arming a timer for every read did).
                var watch = new Watchdog();
                var every = TimeSpan.FromTicks(Math.Clamp(options.DownloadStallTimeout.Ticks / 4, TimeSpan.TicksPerMillisecond, TimeSpan.TicksPerSecond));
                // Disposed asynchronously so a tick already running finishes before `stall` goes; a late one is harmless anyway.
                await using var watchdog = clock.CreateTimer(_ =>
                {
                    try { if (watch.QuietFor(clock) >= options.DownloadStallTimeout) stall.Cancel(); }
                    catch (ObjectDisposedException) { }
                }, null, every, every);
                while (true)
                {
                    var buffer = await spool.TakeAsync();
                    watch.Saw();
                    int n;
                    try { n = await input.ReadAsync(buffer.Bytes, linked.Token); }
                    catch (Exception ex) when (ex is IOException or HttpRequestException || ex is OperationCanceledException && stall.IsCancellationRequested && !ct.IsCancellationRequested)
                    {
                        // Whatever arrived is written and hashed before resuming, so the resume point is exact.
                        spool.Return(buffer);
                        await spool.DrainAsync();
                        Progress();
                        throw new Dropped(ex is OperationCanceledException ? $"no data for {DurationText.Format(options.DownloadStallTimeout)}" : ex.Message);
                    }
                    catch (OperationCanceledException)
                    {
                        // Cancelled, or Capstan is stopping: everything received is kept, so a restart resumes exactly there.
                        spool.Return(buffer);
                        await spool.DrainAsync();
                        throw;
                    }
                    watch.Saw();
                    if (n == 0)
                    {
                        spool.Return(buffer);
                        break;
                    }
                    received += n;
                    if (received > options.MaxDownloadBytes)
                        throw new StepProblem($"the download passed the limit of {HttpProbe.Bytes(options.MaxDownloadBytes)}; stopped and discarded it");
                    spool.Send(buffer, n);
                    if (clock.GetElapsedTime(reported) >= ReportEvery)
                    {
                        reported = clock.GetTimestamp();
                        Progress();
                    }
                }
                await spool.DrainAsync();
                have = spool.Written;
                Progress();
                if (total is { } expected && have < expected) throw new Dropped($"got {have} of {expected} bytes");
                return have;
            }
        }
    }

    private static void Report(JobContext job, long have, long? total, double speed) =>
        job.Report(total is { } all && all > 0 ? 100.0 * have / all : null,
            $"{HttpProbe.Bytes(have)}" + (total is { } a ? $" of {HttpProbe.Bytes(a)}" : "") + $", {HttpProbe.Bytes((long)speed)}/s");

    private async Task<JobOutcome> FinishAsync(FetchPlan plan, string part, long size, Checksum hash, JobContext job, CancellationToken ct)
    {
        if (hash.Length != size) await hash.RestartAsync(part, size, ct); // a 416 "already complete" on a file this run did not write
        var sha = hash.Finish();
        File.Delete(part + ".url");
        if (plan.Sha256 is { } want && !string.Equals(want, sha, StringComparison.OrdinalIgnoreCase))
        {
            File.Delete(part);
            return JobOutcome.Fail($"checksum mismatch: expected sha256 {want.ToLowerInvariant()}, the download has {sha}; the file was discarded. Check the URL and the checksum, then fetch again");
        }
        await files.CompleteAsync(new FetchedFile(plan.Name, plan.Url, size, sha, clock.GetUtcNow(), plan.By, job.Job.Id), ct);
        return JobOutcome.Ok($"fetched {plan.Name} ({HttpProbe.Bytes(size)}), sha256 {sha}" + (plan.Sha256 is null ? " (not checked: no sha256= given)" : " (verified)"));
    }

    /// <summary>A SHA-256 fed as bytes arrive, which knows how many it has seen so it can match the partial file.</summary>
    private sealed class Checksum : IDisposable
    {
        private IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public long Length { get; private set; }

        public void Append(ReadOnlySpan<byte> bytes)
        {
            _hash.AppendData(bytes);
            Length += bytes.Length;
        }

        public void Reset()
        {
            _hash.Dispose();
            _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            Length = 0;
        }

        /// <summary>Starts over from the first <paramref name="length"/> bytes of the file on disk.</summary>
        public async Task RestartAsync(string path, long length, CancellationToken ct)
        {
            Reset();
            if (length == 0) return;
            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 0, FileOptions.SequentialScan);
            var buffer = new byte[1 << 20];
            while (Length < length)
            {
                var n = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length - Length)), ct);
                if (n == 0) throw new IOException($"{path} is shorter than the {length} bytes expected");
                Append(buffer.AsSpan(0, n));
            }
        }

        public string Finish() => Convert.ToHexStringLower(_hash.GetHashAndReset());

        public void Dispose() => _hash.Dispose();
    }

    /// <summary>One receive buffer, and how many of the two stages (disk, hash) still need its bytes.</summary>
    private sealed class Received
    {
        public readonly byte[] Bytes = GC.AllocateUninitializedArray<byte>(Chunk);
        public int Count;
        public int Pending;
    }

    /// <summary>
    /// Received bytes on their way to the partial file: a writer appends them at their offset and a hasher feeds the
    /// SHA-256, each in order on its own pool task, while the caller receives more. A buffer is reused once both are
    /// done with it. Draining waits until everything sent is on disk and hashed.
    /// </summary>
    private sealed class Spool : IAsyncDisposable
    {
        private readonly SafeFileHandle _file;
        private readonly Checksum _hash;
        private readonly Channel<Received> _free = Channel.CreateUnbounded<Received>(new UnboundedChannelOptions { SingleReader = true });
        private readonly Channel<Received> _toDisk = Channel.CreateUnbounded<Received>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        private readonly Channel<Received> _toHash = Channel.CreateUnbounded<Received>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        private readonly Task _writer;
        private readonly Task _hasher;
        private long _written;

        public Spool(string path, long offset, Checksum hash)
        {
            // No FileStream: each buffer is written whole at its offset (pwrite), from the writer task. Not
            // FileMode.Create for a fresh start: .NET truncates with ftruncate(0) after opening, and on ext4 (auto_da_alloc)
            // a file truncated to 0 is written back in full when it is closed — a second or more for 1 GB, and the
            // job record's next fsync then waits behind it. A new file needs no truncating; curl's doesn't either.
            if (offset == 0) File.Delete(path);
            _file = File.OpenHandle(path, offset > 0 ? FileMode.Open : FileMode.CreateNew, FileAccess.Write, FileShare.Read);
            _hash = hash;
            _written = offset;
            for (var i = 0; i < Buffers; i++) _free.Writer.TryWrite(new Received());
            _writer = Task.Run(WriteAsync);
            _hasher = Task.Run(HashAsync);
        }

        /// <summary>Bytes on disk so far.</summary>
        public long Written => Interlocked.Read(ref _written);

        /// <summary>A free buffer; waits only while the disk or the hash is behind by all of them.</summary>
        public async ValueTask<Received> TakeAsync()
        {
            try { return await _free.Reader.ReadAsync(); }
            catch (ChannelClosedException)
            {
                await DrainAsync(); // the writer failed: its error (a full disk, say) is the one to report
                throw;
            }
        }

        public void Return(Received buffer) => _free.Writer.TryWrite(buffer);

        public void Send(Received buffer, int count)
        {
            buffer.Count = count;
            buffer.Pending = 2;
            _toDisk.Writer.TryWrite(buffer);
            _toHash.Writer.TryWrite(buffer);
        }

        private void Done(Received buffer)
        {
            if (Interlocked.Decrement(ref buffer.Pending) == 0) _free.Writer.TryWrite(buffer);
        }

        private async Task WriteAsync()
        {
            try
            {
                await foreach (var buffer in _toDisk.Reader.ReadAllAsync())
                {
                    RandomAccess.Write(_file, buffer.Bytes.AsSpan(0, buffer.Count), _written);
                    Interlocked.Add(ref _written, buffer.Count);
                    Done(buffer);
                }
            }
            catch (Exception ex)
            {
                _free.Writer.TryComplete(ex); // a receiver waiting for a buffer hears of it
                throw;
            }
        }

        private async Task HashAsync()
        {
            await foreach (var buffer in _toHash.Reader.ReadAllAsync())
            {
                _hash.Append(buffer.Bytes.AsSpan(0, buffer.Count));
                Done(buffer);
            }
        }

        /// <summary>Waits until everything sent is written and hashed; a disk error surfaces here.</summary>
        public async Task DrainAsync()
        {
            _toDisk.Writer.TryComplete();
            _toHash.Writer.TryComplete();
            await Task.WhenAll(_writer, _hasher);
        }

        public async ValueTask DisposeAsync()
        {
            // The file is closed only when neither task can touch it; a failure was already reported (or is on its way).
            try { await DrainAsync(); }
            catch (IOException) { }
            _file.Dispose();
        }
    }

    /// <summary>Notes that the transfer moves and tells how long it has been still; read from a timer thread.</summary>
    private sealed class Watchdog
    {
        private long _moves;
        private long _seen = -1;
        private long _since;

        public void Saw() => Interlocked.Increment(ref _moves);

        public TimeSpan QuietFor(TimeProvider clock)
        {
            var now = Interlocked.Read(ref _moves);
            if (now != _seen) { _seen = now; _since = clock.GetTimestamp(); }
            return clock.GetElapsedTime(_since);
        }
    }

    private sealed class Dropped(string message) : Exception(message);

    public static string ParseName(Uri uri) =>
        Uri.UnescapeDataString(uri.Segments.LastOrDefault()?.Trim('/') ?? "") is { Length: > 0 } n ? n : "download";

    public static bool IsSha256(string text) => text.Length == 64 && text.All(char.IsAsciiHexDigit);
}
