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
        var (job, final) = await t.RunJobAsync("bob", $"fetch {files.Url()} sha256={files.Sha} as app-1.0.bin");
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
    public async Task A_download_interrupted_by_a_restart_resumes_in_the_same_job_when_capstan_starts_again()
    {
        await using var files = new FileServer("hold");
        var root = Path.Combine(Path.GetTempPath(), "capstan-runbooks-" + Guid.NewGuid().ToString("N")[..10]);
        string id;
        var first = await RunbookNode.StartAsync(root);
        {
            var r = await first.SayAsync("bob", $"fetch {files.Url()} sha256={files.Sha}");
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
        var (job, final) = await t.RunJobAsync("bob", $"fetch {files.Url()} sha256={wrong}");
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
        var (big, bigFinal) = await t.RunJobAsync("bob", $"fetch {files.Url()}");
        Assert.Equal(JobState.Failed, big.Job.State);
        Assert.Contains("the file is 3.0 MB, over the download limit of 1.0 MB; nothing was kept", bigFinal.Text);
        Assert.False(File.Exists(Path.Combine(t.Root, "files", ".partial", "app.bin.part")));

        var (redirect, redirectFinal) = await t.RunJobAsync("bob", $"fetch {files.Url("/to-file")} as x.bin");
        Assert.Equal(JobState.Failed, redirect.Job.State);
        Assert.Contains("redirected to file:///etc/shadow; only http and https redirects are followed", redirectFinal.Text);

        var escape = await t.SayAsync("bob", $"fetch {files.Url()} as ../../outside.bin");
        Assert.Equal(CommandOutcome.Invalid, escape.Outcome);
        Assert.Contains("cannot be a file name here", escape.Replies[0].Text);
        var scheme = await t.SayAsync("bob", "fetch file:///etc/passwd");
        Assert.Contains("is not an http:// or https:// address", scheme.Replies[0].Text);
        var carol = await t.SayAsync("carol", $"fetch {files.Url()}");
        Assert.Equal(CommandOutcome.Refused, carol.Outcome);
    }
}
