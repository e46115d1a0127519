using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;

// capstan-load: the Capstan side of the chat command round-trip benchmark.
//
//   capstan-load --url http://127.0.0.1:PORT --token TOKEN [--room ops] [--text whoami]
//                [--n 2000] [--warmup 200] [--clients 1,16]
//
// For each client count C it posts --warmup messages (not measured), then --n messages to
// POST /api/rooms/{room}/messages over HTTP/1.1 keep-alive connections, C requests in flight at a time
// (C = 1 is the sequential one-at-a-time round trip). A message counts only when the answer is 200 with
// outcome "Succeeded": Capstan answers after the message, the command, the policy decision and the reply
// are durable in the ledger. Prints one JSON document with throughput and latency percentiles per mode.

var opts = Options.Parse(args);
using var handler = new SocketsHttpHandler
{
    UseProxy = false,
    UseCookies = false,
    AllowAutoRedirect = false,
    MaxConnectionsPerServer = 1024,
    PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
    PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
};
using var http = new HttpClient(handler) { BaseAddress = new Uri(opts.Url), Timeout = TimeSpan.FromSeconds(60) };
http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", opts.Token);
http.DefaultRequestVersion = HttpVersion.Version11;
var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { text = opts.Text }));
var path = $"/api/rooms/{Uri.EscapeDataString(opts.Room)}/messages";
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
        int i;
        while ((i = Interlocked.Increment(ref next)) < n)
        {
            var t0 = Stopwatch.GetTimestamp();
            try
            {
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                using var response = await http.PostAsync(path, content);
                var bytes = await response.Content.ReadAsByteArrayAsync();
                latencies[i] = Stopwatch.GetTimestamp() - t0;
                if (response.StatusCode != HttpStatusCode.OK || bytes.AsSpan().IndexOf(succeeded) < 0)
                {
                    Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref firstError, $"{(int)response.StatusCode}: {Encoding.UTF8.GetString(bytes)[..Math.Min(bytes.Length, 300)]}", null);
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
