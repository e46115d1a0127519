using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
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
/// connection or a restart, follows redirects only to http(s), enforces the size limit and verifies SHA-256.
/// </summary>
public sealed class Fetcher(FetchedFiles files, RunbooksOptions options, TimeProvider clock) : IDisposable
{
    public const string Kind = "fetch";
    private const int MaxRedirects = 5;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _active = new(StringComparer.Ordinal);
    private readonly HttpClient _client = new(new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(30), AutomaticDecompression = DecompressionMethods.None })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public async Task<JobOutcome> RunAsync(FetchPlan plan, JobContext job)
    {
        var ct = job.Cancellation;
        var part = files.PartialPath(plan.Name);
        if (!_active.TryAdd(plan.Name, plan.Url)) return JobOutcome.Fail($"{plan.Name} is already being fetched; `jobs` shows the download");
        // A partial file is carried on only for the same URL; anything else starts afresh.
        var marker = part + ".url";
        if (File.Exists(part) && (!File.Exists(marker) || await File.ReadAllTextAsync(marker, ct) != plan.Url)) File.Delete(part);
        await File.WriteAllTextAsync(marker, plan.Url, ct);
        job.SaveResume(plan.ToJson());
        var attempt = 0;
        try
        {
            while (true)
            {
                try
                {
                    var total = await TransferAsync(plan, part, job, ct);
                    return await FinishAsync(plan, part, total, job, ct);
                }
                catch (Dropped ex) when (attempt < options.DownloadRetries)
                {
                    attempt++;
                    job.Line($"the connection dropped at {HttpProbe.Bytes(new FileInfo(part).Length)} ({ex.Message}); resuming (attempt {attempt} of {options.DownloadRetries})");
                    await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), clock, ct);
                }
                catch (Dropped ex)
                {
                    return JobOutcome.Fail($"the transfer kept dropping ({ex.Message}); gave up after {options.DownloadRetries} resumes. `fetch` the same URL again to carry on from {HttpProbe.Bytes(new FileInfo(part).Length)}");
                }
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

    /// <summary>Downloads what is missing of the file; returns its full size.</summary>
    private async Task<long> TransferAsync(FetchPlan plan, string part, JobContext job, CancellationToken ct)
    {
        var have = File.Exists(part) ? new FileInfo(part).Length : 0;
        var uri = new Uri(plan.Url);
        for (var hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            if (have > 0) request.Headers.Range = new RangeHeaderValue(have, null);
            HttpResponseMessage response;
            try { response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct); }
            catch (HttpRequestException ex) when (have > 0) { throw new Dropped(ex.Message); }
            catch (HttpRequestException ex) { throw new StepProblem(NetworkProblem.Describe(uri.Host, uri.Port, ex)); }
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
                }
                long? total = status == 206 ? response.Content.Headers.ContentRange?.Length : response.Content.Headers.ContentLength;
                if (status == 206 && response.Content.Headers.ContentRange?.From is { } from && from != have)
                    throw new StepProblem($"the server resumed at byte {from}, not {have}; refusing to stitch a corrupt file");
                if (total is { } t && t > options.MaxDownloadBytes)
                    throw new StepProblem($"the file is {HttpProbe.Bytes(t)}, over the download limit of {HttpProbe.Bytes(options.MaxDownloadBytes)}; nothing was kept");
                if (have > 0) job.Line($"resuming at {HttpProbe.Bytes(have)}" + (total is { } tt ? $" of {HttpProbe.Bytes(tt)}" : ""));
                await using var output = new FileStream(part, have > 0 ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16, useAsync: true);
                await using var input = await response.Content.ReadAsStreamAsync(ct);
                var buffer = new byte[1 << 16];
                var started = clock.GetTimestamp();
                var startedAt = have;
                while (true)
                {
                    int n;
                    try { n = await input.ReadAsync(buffer, ct); }
                    catch (IOException ex) { await output.FlushAsync(CancellationToken.None); throw new Dropped(ex.Message); }
                    catch (HttpRequestException ex) { await output.FlushAsync(CancellationToken.None); throw new Dropped(ex.Message); }
                    if (n == 0) break;
                    await output.WriteAsync(buffer.AsMemory(0, n), ct);
                    have += n;
                    if (have > options.MaxDownloadBytes)
                        throw new StepProblem($"the download passed the limit of {HttpProbe.Bytes(options.MaxDownloadBytes)}; stopped and discarded it");
                    var seconds = clock.GetElapsedTime(started).TotalSeconds;
                    var speed = seconds > 0 ? (have - startedAt) / seconds : 0;
                    job.Report(total is { } all && all > 0 ? 100.0 * have / all : null,
                        $"{HttpProbe.Bytes(have)}" + (total is { } a ? $" of {HttpProbe.Bytes(a)}" : "") + $", {HttpProbe.Bytes((long)speed)}/s");
                }
                await output.FlushAsync(ct);
                if (total is { } expected && have < expected) throw new Dropped($"got {have} of {expected} bytes");
                return have;
            }
        }
    }

    private async Task<JobOutcome> FinishAsync(FetchPlan plan, string part, long size, JobContext job, CancellationToken ct)
    {
        job.Report(100, "verifying the checksum");
        string sha;
        await using (var stream = File.OpenRead(part))
            sha = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));
        File.Delete(part + ".url");
        if (plan.Sha256 is { } want && !string.Equals(want, sha, StringComparison.OrdinalIgnoreCase))
        {
            File.Delete(part);
            return JobOutcome.Fail($"checksum mismatch: expected sha256 {want.ToLowerInvariant()}, the download has {sha}; the file was discarded. Check the URL and the checksum, then fetch again");
        }
        await files.CompleteAsync(new FetchedFile(plan.Name, plan.Url, size, sha, clock.GetUtcNow(), plan.By, job.Job.Id), ct);
        return JobOutcome.Ok($"fetched {plan.Name} ({HttpProbe.Bytes(size)}), sha256 {sha}" + (plan.Sha256 is null ? " (not checked: no sha256= given)" : " (verified)"));
    }

    private sealed class Dropped(string message) : Exception(message);

    public void Dispose() => _client.Dispose();

    public static string ParseName(Uri uri) =>
        Uri.UnescapeDataString(uri.Segments.LastOrDefault()?.Trim('/') ?? "") is { Length: > 0 } n ? n : "download";

    public static bool IsSha256(string text) => text.Length == 64 && text.All(char.IsAsciiHexDigit);
}
