using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Capstan.Core.Commands;
using Capstan.Core.Jobs;

namespace Capstan.Runbooks.Tests;

public sealed class FetchTests
{
    /// <summary>Serves one file with Range support; the first full request can be cut off half-way.</summary>
    private sealed class FileServer : IAsyncDisposable
    {
        public readonly byte[] Content = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 123);
        public readonly ConcurrentQueue<string> Ranges = new();
        public readonly TaskCompletionSource Gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public LocalServer Server { get; }
        public string Sha => Convert.ToHexStringLower(SHA256.HashData(Content));
        private int _requests;

        /// <param name="firstRequest">"drop": close after half; "hold": send half then wait for <see cref="Gate"/>; "whole": serve it all.</param>
        public FileServer(string firstRequest)
        {
            Server = new LocalServer(async (req, s, ct) =>
            {
                var n = Interlocked.Increment(ref _requests);
                if (req.Path == "/to-file") { await LocalServer.RespondAsync(s, 302, "", headers: ("Location", "file:///etc/shadow")); return; }
                if (req.Headers.TryGetValue("Range", out var range))
                {
                    Ranges.Enqueue(range);
                    var from = long.Parse(range["bytes=".Length..].TrimEnd('-'));
                    await s.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 206 Partial Content\r\nContent-Length: {Content.Length - from}\r\nContent-Range: bytes {from}-{Content.Length - 1}/{Content.Length}\r\nConnection: close\r\n\r\n"), ct);
                    await s.WriteAsync(Content.AsMemory((int)from), ct);
                    return;
                }
                await s.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {Content.Length}\r\nAccept-Ranges: bytes\r\nConnection: close\r\n\r\n"), ct);
                if (n == 1 && firstRequest != "whole")
                {
                    await s.WriteAsync(Content.AsMemory(0, Content.Length / 2), ct);
                    await s.FlushAsync(ct);
                    if (firstRequest == "hold") await Gate.Task.WaitAsync(ct);
                    return; // closing here drops the connection half-way
                }
                await s.WriteAsync(Content, ct);
            });
        }

        public string Url(string name = "/app.bin") => Server.Url(name);
        public ValueTask DisposeAsync() => Server.DisposeAsync();
    }

    [Fact]
    public async Task A_connection_dropped_half_way_is_resumed_with_range_and_the_checksum_is_verified()
    {
        await using var files = new FileServer("drop");
        await using var t = await RunbookNode.StartAsync();
        var (job, final) = await t.RunJobAsync("alice", $"fetch {files.Url()} sha256={files.Sha} as app-1.0.bin");
        Assert.True(job.Job.State == JobState.Succeeded, final.Text);
        Assert.Contains("(verified)", final.Text);
        var range = Assert.Single(files.Ranges);
        Assert.NotEqual("bytes=0-", range);
        Assert.Contains(job.Output, l => l.StartsWith("the connection dropped at", StringComparison.Ordinal));
        Assert.Equal(files.Content, await File.ReadAllBytesAsync(Path.Combine(t.Root, "files", "app-1.0.bin")));
        var list = await t.SayAsync("carol", "files");
        Assert.Contains("app-1.0.bin", list.Replies[0].Table!.ToText());
        Assert.Contains(files.Sha[..16], list.Replies[0].Table!.ToText());
        Assert.True(t.Events.Any(e => e.Message.Id == job.Job.ProgressMessage && e.Message.Text.Contains('%')), "progress was shown in the job's message");
    }

    [Fact]
    public async Task A_transfer_that_keeps_dropping_is_resumed_as_often_as_configured_then_fails_with_what_to_do()
    {
        var content = RandomNumberGenerator.GetBytes(64 * 1024);
        // Every answer (the first and each resume) sends a quarter of what is left, then closes.
        await using var server = new LocalServer(async (req, s, ct) =>
        {
            var from = req.Headers.TryGetValue("Range", out var range) ? long.Parse(range["bytes=".Length..].TrimEnd('-')) : 0;
            var head = from == 0
                ? $"HTTP/1.1 200 OK\r\nContent-Length: {content.Length}\r\nAccept-Ranges: bytes\r\nConnection: close\r\n\r\n"
                : $"HTTP/1.1 206 Partial Content\r\nContent-Length: {content.Length - from}\r\nContent-Range: bytes {from}-{content.Length - 1}/{content.Length}\r\nConnection: close\r\n\r\n";
            await s.WriteAsync(Encoding.ASCII.GetBytes(head), ct);
            await s.WriteAsync(content.AsMemory((int)from, (int)(content.Length - from) / 4), ct);
            await s.FlushAsync(ct);
        });
        await using var t = await RunbookNode.StartAsync(options: new RunbooksOptions { DownloadRetries = 2 });
        var (job, final) = await t.RunJobAsync("alice", $"fetch {server.Url("/app.bin")} as flaky.bin");
        Assert.Equal(JobState.Failed, job.Job.State);
        Assert.Contains(job.Output, l => l.StartsWith("the connection dropped at", StringComparison.Ordinal) && l.EndsWith("resuming (attempt 1 of 2)", StringComparison.Ordinal));
        Assert.Contains(job.Output, l => l.EndsWith("resuming (attempt 2 of 2)", StringComparison.Ordinal));
        Assert.DoesNotContain(job.Output, l => l.Contains("attempt 3", StringComparison.Ordinal));
        Assert.Contains("the transfer kept dropping", final.Text);
        Assert.Contains("gave up after 2 resumes. `fetch` the same URL again to carry on from", final.Text);
    }

    [Fact]
    public async Task A_download_interrupted_by_a_restart_resumes_in_the_same_job_when_capstan_starts_again()
    {
        await using var files = new FileServer("hold");
        var root = Path.Combine(Path.GetTempPath(), "capstan-runbooks-" + Guid.NewGuid().ToString("N")[..10]);
        string id;
        var first = await RunbookNode.StartAsync(root);
        {
            var r = await first.SayAsync("alice", $"fetch {files.Url()} sha256={files.Sha}");
            id = System.Text.RegularExpressions.Regex.Match(r.Replies[0].Text, @"job (j\d+)").Groups[1].Value;
            var part = Path.Combine(root, "files", ".partial", "app.bin.part");
            var deadline = DateTime.UtcNow + RunbookNode.Patience;
            // Writes are buffered (64 KB); stopping flushes the rest, so the resume point is exactly half.
            while (!File.Exists(part) || new FileInfo(part).Length < files.Content.Length / 2 - 65536)
            {
                Assert.True(DateTime.UtcNow < deadline, "half the file never arrived");
                await Task.Delay(20);
            }
            await first.StopAsync();
            Assert.Equal(JobState.Interrupted, (await first.Node.Jobs.Jobs.GetAsync(id, CancellationToken.None))!.Job.State);
            await first.CloseAsync();
        }
        files.Gate.SetResult();
        await using var second = await RunbookNode.StartAsync(root);
        var done = await second.Node.Jobs.WaitAsync(id, CancellationToken.None).WaitAsync(RunbookNode.Patience);
        Assert.True(done.State == JobState.Succeeded, done.Summary);
        Assert.Equal($"bytes={files.Content.Length / 2}-", Assert.Single(files.Ranges));
        Assert.Equal(files.Content, await File.ReadAllBytesAsync(Path.Combine(root, "files", "app.bin")));
    }

    [Fact]
    public async Task A_checksum_mismatch_discards_the_file_with_a_clear_error()
    {
        await using var files = new FileServer("whole");
        await using var t = await RunbookNode.StartAsync();
        var wrong = new string('0', 64);
        var (job, final) = await t.RunJobAsync("alice", $"fetch {files.Url()} sha256={wrong}");
        Assert.Equal(JobState.Failed, job.Job.State);
        Assert.Contains($"checksum mismatch: expected sha256 {wrong}, the download has {files.Sha}; the file was discarded", final.Text);
        Assert.False(File.Exists(Path.Combine(t.Root, "files", "app.bin")));
        Assert.False(File.Exists(Path.Combine(t.Root, "files", ".partial", "app.bin.part")));
        Assert.Contains("No files fetched yet", (await t.SayAsync("carol", "files")).Replies[0].Text);
    }

    [Fact]
    public async Task Size_limits_redirects_to_file_and_names_that_escape_the_folder_are_refused()
    {
        await using var files = new FileServer("whole");
        await using var t = await RunbookNode.StartAsync(options: new RunbooksOptions { MaxDownloadBytes = 1024 * 1024 });
        var (big, bigFinal) = await t.RunJobAsync("alice", $"fetch {files.Url()}");
        Assert.Equal(JobState.Failed, big.Job.State);
        Assert.Contains("the file is 3.0 MB, over the download limit of 1.0 MB; nothing was kept", bigFinal.Text);
        Assert.False(File.Exists(Path.Combine(t.Root, "files", ".partial", "app.bin.part")));

        var (redirect, redirectFinal) = await t.RunJobAsync("alice", $"fetch {files.Url("/to-file")} as x.bin");
        Assert.Equal(JobState.Failed, redirect.Job.State);
        Assert.Contains("redirected to file:///etc/shadow; only http and https redirects are followed", redirectFinal.Text);

        var escape = await t.SayAsync("alice", $"fetch {files.Url()} as ../../outside.bin");
        Assert.Equal(CommandOutcome.Invalid, escape.Outcome);
        Assert.Contains("cannot be a file name here", escape.Replies[0].Text);
        var scheme = await t.SayAsync("alice", "fetch file:///etc/passwd");
        Assert.Contains("is not an http:// or https:// address", scheme.Replies[0].Text);
        var carol = await t.SayAsync("carol", $"fetch {files.Url()}");
        Assert.Equal(CommandOutcome.Refused, carol.Outcome);
    }

    [Fact]
    public async Task A_5_gb_answer_to_a_100_mb_limit_is_refused_from_its_headers_and_an_endless_one_is_cut_at_the_limit()
    {
        const long limit = 100L * 1024 * 1024;
        var streamed = 0L;
        await using var server = new LocalServer(async (req, s, ct) =>
        {
            if (req.Path == "/huge.iso")
            {
                await s.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 5368709120\r\nConnection: close\r\n\r\n"), ct);
                await s.WriteAsync(new byte[1 << 20], ct);
                return;
            }
            // No length at all, and it never ends: only the limit stops it.
            await s.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"), ct);
            var block = new byte[1 << 20];
            while (!ct.IsCancellationRequested) { await s.WriteAsync(block, ct); Interlocked.Add(ref streamed, block.Length); }
        });
        await using var t = await RunbookNode.StartAsync(options: new RunbooksOptions { MaxDownloadBytes = limit });

        var (huge, hugeFinal) = await t.RunJobAsync("alice", $"fetch {server.Url("/huge.iso")}");
        Assert.Equal(JobState.Failed, huge.Job.State);
        Assert.Contains("the file is 5.0 GB, over the download limit of 100.0 MB; nothing was kept", hugeFinal.Text);
        Assert.False(File.Exists(Path.Combine(t.Root, "files", ".partial", "huge.iso.part")));

        var (endless, endlessFinal) = await t.RunJobAsync("alice", $"fetch {server.Url("/endless.bin")}");
        Assert.Equal(JobState.Failed, endless.Job.State);
        Assert.Contains("the download passed the limit of 100.0 MB; stopped and discarded it", endlessFinal.Text);
        Assert.False(File.Exists(Path.Combine(t.Root, "files", ".partial", "endless.bin.part")));
        Assert.False(File.Exists(Path.Combine(t.Root, "files", "endless.bin")));
        Assert.InRange(Interlocked.Read(ref streamed), limit, limit * 2); // stopped reading soon after the limit
    }

    [Fact]
    public async Task A_server_that_stops_sending_half_way_is_resumed_and_one_that_never_answers_fails_with_a_sentence()
    {
        await using var files = new FileServer("hold"); // sends half, then goes silent (never closes)
        var silent = new TaskCompletionSource();
        await using var mute = new LocalServer(async (_, _, ct) => await silent.Task.WaitAsync(ct));
        await using var t = await RunbookNode.StartAsync(options: new RunbooksOptions { DownloadStallTimeout = TimeSpan.FromMilliseconds(500) });

        var (job, final) = await t.RunJobAsync("alice", $"fetch {files.Url()} sha256={files.Sha}");
        Assert.True(job.Job.State == JobState.Succeeded, final.Text);
        Assert.Contains(job.Output, l => l.StartsWith("the connection dropped at", StringComparison.Ordinal) && l.Contains("no data for 500ms"));
        Assert.StartsWith("bytes=", Assert.Single(files.Ranges));
        Assert.NotEqual("bytes=0-", files.Ranges.Single());
        Assert.Equal(files.Content, await File.ReadAllBytesAsync(Path.Combine(t.Root, "files", "app.bin")));

        var (hang, hangFinal) = await t.RunJobAsync("alice", $"fetch {mute.Url("/never.bin")}");
        Assert.Equal(JobState.Failed, hang.Job.State);
        Assert.Contains($"127.0.0.1:{mute.Port} sent no answer within 500ms; nothing was downloaded", hangFinal.Text);
        silent.SetResult();
    }

    [Fact]
    public async Task Unreachable_hosts_and_names_that_do_not_resolve_fail_with_a_sentence()
    {
        await using var t = await RunbookNode.StartAsync();
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        var closed = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();

        var (refused, refusedFinal) = await t.RunJobAsync("alice", $"fetch http://127.0.0.1:{closed}/app.bin");
        Assert.Equal(JobState.Failed, refused.Job.State);
        Assert.Contains($"127.0.0.1:{closed} refused the connection", refusedFinal.Text);

        var (dns, dnsFinal) = await t.RunJobAsync("alice", "fetch http://no-such-host.invalid/app.bin");
        Assert.Equal(JobState.Failed, dns.Job.State);
        Assert.Contains("cannot resolve host 'no-such-host.invalid'", dnsFinal.Text);
    }
}
