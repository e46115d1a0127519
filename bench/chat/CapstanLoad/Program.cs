using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

// capstan-load: the Capstan side of the chat command round-trip benchmark.
//
//   capstan-load --url http://127.0.0.1:PORT --token TOKEN [--room ops] [--text whoami]
//                [--n 2000] [--warmup 200] [--clients 1,16]
//   capstan-load sync --dir DIR [--n 2000]
//
// For each client count C it posts --warmup messages (not measured), then --n messages to
// POST /api/rooms/{room}/messages over C HTTP/1.1 keep-alive connections (raw sockets, one prepared request),
// C requests in flight at a time
// (C = 1 is the sequential one-at-a-time round trip). A message counts only when the answer is 200 with
// outcome "Succeeded": Capstan answers after the message, the command, the policy decision and the reply
// are durable in the ledger. Prints one JSON document with throughput and latency percentiles per mode.

if (args is ["sync", ..]) return SyncProbe.Run(args[1..]);

var opts = Options.Parse(args);
var target = new Uri(opts.Url);
var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { text = opts.Text }));
var path = $"/api/rooms/{Uri.EscapeDataString(opts.Room)}/messages";
// One request, built once: the driver's own CPU per message must stay small next to the server's, since both share
// the machine (HttpClient cost about as much CPU per request as the server's whole answer on 2 cores).
var request = Encoding.ASCII.GetBytes(
    $"POST {path} HTTP/1.1\r\nHost: {target.Authority}\r\nAuthorization: Bearer {opts.Token}\r\n" +
    $"Content-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n").Concat(body).ToArray();
var succeeded = "\"outcome\":\"Succeeded\""u8.ToArray();
var results = new List<ModeResult>();
foreach (var clients in opts.Clients)
{
    await RunAsync(clients, opts.Warmup);            // warm-up: JIT, connections, SQLite page cache
    results.Add(await RunAsync(clients, opts.N));
}
var doc = new { tool = "capstan-load", url = opts.Url, text = opts.Text, n = opts.N, warmup = opts.Warmup, modes = results };
Console.WriteLine(JsonSerializer.Serialize(doc, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
return results.Any(r => r.Errors > 0) ? 1 : 0;

async Task<ModeResult> RunAsync(int clients, int n)
{
    var latencies = new long[n];
    var next = -1;
    var errors = 0;
    string? firstError = null;
    var start = Stopwatch.GetTimestamp();
    var workers = Enumerable.Range(0, Math.Min(clients, Math.Max(n, 1))).Select(_ => Task.Run(async () =>
    {
        using var connection = await KeepAlive.OpenAsync(target);
        int i;
        while ((i = Interlocked.Increment(ref next)) < n)
        {
            var t0 = Stopwatch.GetTimestamp();
            try
            {
                var (status, answer) = await connection.ExchangeAsync(request);
                latencies[i] = Stopwatch.GetTimestamp() - t0;
                if (status != 200 || answer.Span.IndexOf(succeeded) < 0)
                {
                    Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref firstError, $"{status}: {Encoding.UTF8.GetString(answer.Span[..Math.Min(answer.Length, 300)])}", null);
                }
            }
            catch (Exception ex)
            {
                latencies[i] = Stopwatch.GetTimestamp() - t0;
                Interlocked.Increment(ref errors);
                Interlocked.CompareExchange(ref firstError, ex.Message, null);
            }
        }
    })).ToArray();
    await Task.WhenAll(workers);
    var elapsed = Stopwatch.GetElapsedTime(start);
    var ms = latencies.Select(t => t * 1000.0 / Stopwatch.Frequency).Order().ToArray();
    return new ModeResult(
        clients == 1 ? "sequential" : "concurrent",
        clients, n, errors, firstError,
        Math.Round(elapsed.TotalSeconds, 3),
        Math.Round(n / elapsed.TotalSeconds, 1),
        Percentile(ms, 50), Percentile(ms, 99), ms.Length == 0 ? 0 : Math.Round(ms[^1], 3));
}

static double Percentile(double[] sorted, double p)
{
    if (sorted.Length == 0) return 0;
    var rank = (int)Math.Ceiling(p / 100.0 * sorted.Length) - 1; // nearest-rank
    return Math.Round(sorted[Math.Clamp(rank, 0, sorted.Length - 1)], 3);
}

/// <summary>
/// One HTTP/1.1 keep-alive connection that sends a prepared request and reads one answer (status line, headers with
/// Content-Length or chunked body). Enough HTTP for this benchmark's one endpoint, and cheap per request.
/// </summary>
internal sealed class KeepAlive(Socket socket) : IDisposable
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start, _end;

    public static async Task<KeepAlive> OpenAsync(Uri url)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(url.Host, url.Port);
        return new KeepAlive(socket);
    }

    public async Task<(int Status, ReadOnlyMemory<byte> Body)> ExchangeAsync(byte[] request)
    {
        await socket.SendAsync(request, SocketFlags.None);
        int headerEnd;
        while ((headerEnd = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8)) < 0) await FillAsync();
        var head = Encoding.ASCII.GetString(_buffer, _start, headerEnd);
        var status = int.Parse(head.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);
        _start += headerEnd + 4;
        var at = head.IndexOf("Content-Length:", StringComparison.OrdinalIgnoreCase);
        if (at >= 0)
        {
            var lineEnd = head.IndexOf('\r', at);
            var length = int.Parse(head.AsSpan(at + 15, (lineEnd < 0 ? head.Length : lineEnd) - at - 15).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            while (_end - _start < length) await FillAsync();
            var answer = _buffer.AsMemory(_start, length).ToArray();
            _start += length;
            return (status, answer);
        }
        if (head.IndexOf("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase) < 0)
            throw new InvalidDataException("the answer has neither Content-Length nor chunked encoding");
        var body = new List<byte>(1024);
        while (true)
        {
            int sizeEnd;
            while ((sizeEnd = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8)) < 0) await FillAsync();
            var size = int.Parse(Encoding.ASCII.GetString(_buffer, _start, sizeEnd).Split(';')[0], System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
            _start += sizeEnd + 2;
            while (_end - _start < size + 2) await FillAsync(); // the chunk and its CRLF (for the last, empty chunk: the final CRLF)
            body.AddRange(_buffer.AsSpan(_start, size));
            _start += size + 2;
            if (size == 0) return (status, body.ToArray());
        }
    }

    private async Task FillAsync()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length) throw new InvalidDataException("an answer larger than 64 KB");
        var n = await socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None);
        if (n == 0) throw new IOException("the server closed the connection");
        _end += n;
    }

    public void Dispose() => socket.Dispose();
}

/// <summary>
/// `capstan-load sync`: the disk's floor under a durable answer. Overwrites 4 KiB at a time in a 4 MiB file (as SQLite
/// rewrites its WAL after a checkpoint) and syncs it after each write (RandomAccess.FlushToDisk: fsync, as SQLite does),
/// in the folder given (the benchmark's data folder, so the same disk). One client waiting for each durable answer can
/// get no more answers a second than this gives syncs.
/// </summary>
internal static class SyncProbe
{
    public static int Run(string[] args)
    {
        var dir = Value(args, "--dir") ?? throw new ArgumentException("usage: capstan-load sync --dir DIR [--n 2000]");
        var n = int.Parse(Value(args, "--n") ?? "2000", System.Globalization.CultureInfo.InvariantCulture);
        var path = Path.Combine(dir, "sync-probe.bin");
        const int Page = 4096, Pages = 1024;
        var page = new byte[Page];
        Random.Shared.NextBytes(page);
        var latencies = new double[n];
        using (var file = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, FileOptions.None, Page * Pages))
        {
            for (var i = 0; i < Pages; i++) RandomAccess.Write(file, page, (long)i * Page);
            RandomAccess.FlushToDisk(file);
            for (var i = 0; i < 200 + n; i++)
            {
                var t0 = Stopwatch.GetTimestamp();
                RandomAccess.Write(file, page, (long)(i % Pages) * Page);
                RandomAccess.FlushToDisk(file);
                if (i >= 200) latencies[i - 200] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
            }
        }
        File.Delete(path);
        Array.Sort(latencies);
        double P(double p) => Math.Round(latencies[Math.Clamp((int)Math.Ceiling(p / 100 * n) - 1, 0, n - 1)], 1);
        Console.WriteLine(JsonSerializer.Serialize(new { tool = "capstan-load sync", n, p50Us = P(50), p99Us = P(99), syncsPerSec = Math.Round(1e6 / P(50)) },
            new JsonSerializerOptions(JsonSerializerDefaults.Web)));
        return 0;
    }

    private static string? Value(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}

internal sealed record ModeResult(string Mode, int Clients, int N, int Errors, string? FirstError, double Seconds, double MsgPerSec, double P50Ms, double P99Ms, double MaxMs);

internal sealed record Options(string Url, string Token, string Room, string Text, int N, int Warmup, int[] Clients)
{
    public static Options Parse(string[] args)
    {
        string? url = null, token = null, room = "ops", text = "whoami";
        int n = 2000, warmup = 200;
        int[] clients = [1, 16];
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--url": url = Next(); break;
                case "--token": token = Next(); break;
                case "--room": room = Next(); break;
                case "--text": text = Next(); break;
                case "--n": n = int.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture); break;
                case "--warmup": warmup = int.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture); break;
                case "--clients": clients = Next().Split(',').Select(s => int.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray(); break;
                default: throw new ArgumentException($"unknown option {args[i]}; usage: capstan-load --url URL --token TOKEN [--room ops] [--text whoami] [--n 2000] [--warmup 200] [--clients 1,16]");
            }
        }
        if (url is null || token is null) throw new ArgumentException("--url and --token are required");
        if (n < 1 || warmup < 0 || clients.Any(c => c < 1)) throw new ArgumentException("--n and --clients must be at least 1, --warmup at least 0");
        return new(url, token, room!, text!, n, warmup, clients);
    }
}
