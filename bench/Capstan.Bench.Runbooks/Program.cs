// Benchmarks of the runbooks module, run side by side with what users would do instead:
//   1. `check` on a product of 50 HTTP services: wall time against the slowest service (the overhead);
//   2. `fetch` of a 1 GB file from a loopback server: MB/s against curl on the same file.
// Usage: dotnet run -c Release --project bench/Capstan.Bench.Runbooks [-- SIZE_MB]
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Capstan.Core;
using Capstan.Core.Commands;
using Capstan.Core.Jobs;
using Capstan.Core.Ledger;
using Capstan.Runbooks;
using Capstan.Runbooks.Config;
using Capstan.Core.Secrets;
using Capstan.Runbooks.Steps;
using Capstan.Runbooks.Transfers;
using Microsoft.Extensions.DependencyInjection;

var sizeMb = args.Length > 0 ? int.Parse(args[0]) : 1024;
var root = Path.Combine(Path.GetTempPath(), "capstan-bench-" + Guid.NewGuid().ToString("N")[..8]);
Directory.CreateDirectory(root);
var payload = Path.Combine(root, "payload.bin");
try
{
    await using var server = new BenchServer(payload);

    // 1. Product check: 50 services, each answering after a known delay (10 ms … 250 ms).
    var delays = Enumerable.Range(0, 50).Select(i => 10 + (i * 37 % 241)).ToList();
    var services = delays.Select((d, i) => (Step)new HttpStep($"svc{i}", TimeSpan.FromSeconds(10), false, "GET", TextValue.Of(server.Url($"/delay/{d}")),
        new Dictionary<string, TextValue>(), null, new HttpExpectation(200, null, null, null), 1 << 20)).ToList();
    var product = new Product("bench", "", services, TimeSpan.FromSeconds(10), []);
    var data = DataFolder.At(root);
    // A seeded node: its capstan.yaml allows 127.0.0.1 under egress:, where the bench server listens.
    await using var node = await CapstanNode.OpenAsync(data, [RunbooksModule.Section], TimeProvider.System, CancellationToken.None);
    // The runbooks module's named HTTP clients (egress-checked), as the server registers them.
    await using var clients = new ServiceCollection().AddSingleton(node.Egress).AddRunbooks().BuildServiceProvider();
    var factory = clients.GetRequiredService<IHttpClientFactory>();
    var http = new HttpProbe(factory);
    var check = new ProductCheck(new StepRunner(http, node.Egress, data, TimeProvider.System), new SecretStore(data, new Redactor()), []);
    var files = new Dictionary<string, string>();
    await check.RunAsync(product, files, CancellationToken.None); // warm up: JIT, connection pools
    var runs = new List<double>();
    for (var i = 0; i < 10; i++)
    {
        var sw = Stopwatch.StartNew();
        var (results, _) = await check.RunAsync(product, files, CancellationToken.None);
        sw.Stop();
        if (results.Any(r => !r.Ok)) throw new InvalidOperationException("a service failed: " + results.First(r => !r.Ok).Detail);
        runs.Add(sw.Elapsed.TotalMilliseconds);
    }
    runs.Sort();
    var slowest = delays.Max();
    Console.WriteLine($"check, 50 HTTP services, slowest answers after {slowest} ms (10 runs):");
    Console.WriteLine($"  wall time p50 {runs[5]:0} ms, max {runs[^1]:0} ms → overhead over the slowest check p50 {runs[5] - slowest:0} ms, max {runs[^1] - slowest:0} ms");
    Console.WriteLine($"  (sequential would take {delays.Sum()} ms)");

    // 2. Download: the same file with curl and with fetch (which also hashes it with SHA-256 as the bytes arrive).
    Console.WriteLine($"writing a {sizeMb} MB file …");
    await using (var f = File.Create(payload))
    {
        var block = new byte[1 << 20];
        Random.Shared.NextBytes(block);
        for (var i = 0; i < sizeMb; i++) await f.WriteAsync(block);
    }
    // Three interleaved rounds, so a burst of load on a shared machine hits every contender alike; medians reported.
    var curlOut = Path.Combine(root, "curl.bin");
    var fetcher = new Fetcher(new FetchedFiles(data), new RunbooksOptions(), factory, TimeProvider.System);
    var curlRuns = new List<double>();
    var verifyRuns = new List<double>();
    var fetchRuns = new List<double>();
    string? curlSha = null;
    for (var round = 0; round < 3; round++)
    {
        var curl = Stopwatch.StartNew();
        using (var p = Process.Start(new ProcessStartInfo("curl", ["-s", "-o", curlOut, server.Url("/file")]))!) await p.WaitForExitAsync();
        curl.Stop();
        curlRuns.Add(curl.Elapsed.TotalSeconds);
        // What a person does to verify a download by hand: curl, then sha256sum.
        var verify = Stopwatch.StartNew();
        using (var p = Process.Start(new ProcessStartInfo("sha256sum", [curlOut]) { RedirectStandardOutput = true })!)
        {
            curlSha = (await p.StandardOutput.ReadToEndAsync()).Split(' ')[0];
            await p.WaitForExitAsync();
        }
        verify.Stop();
        verifyRuns.Add(curl.Elapsed.TotalSeconds + verify.Elapsed.TotalSeconds);
        File.Delete(curlOut);

        var fetch = Stopwatch.StartNew();
        var job = await node.Jobs.StartAsync(new JobRequest(Fetcher.Kind, "bench", "bench", "ops", "bench", TimeSpan.FromHours(1)),
            ctx => fetcher.RunAsync(new FetchPlan(server.Url("/file"), $"payload-copy-{round}.bin", curlSha, "bench"), ctx), CancellationToken.None);
        var done = await node.Jobs.WaitAsync(job.Id, CancellationToken.None);
        fetch.Stop();
        if (done.State != JobState.Succeeded) throw new InvalidOperationException(done.Summary);
        fetchRuns.Add(fetch.Elapsed.TotalSeconds);
        File.Delete(Path.Combine(root, "files", $"payload-copy-{round}.bin"));
    }
    var edits = (await node.Ledger.QueryAsync(new LedgerQuery(Limit: 10_000), CancellationToken.None)).Count(e => e.Kind == LedgerKinds.Edit) / 3;
    static double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
    double Rate(double seconds) => sizeMb / seconds;
    var (c, v, fe) = (Median(curlRuns), Median(verifyRuns), Median(fetchRuns));
    Console.WriteLine($"download of {sizeMb} MB from 127.0.0.1 (median of 3 interleaved rounds):");
    Console.WriteLine($"  curl              {c:0.00} s  {Rate(c):0} MB/s");
    Console.WriteLine($"  curl + sha256sum  {v:0.00} s  {Rate(v):0} MB/s");
    Console.WriteLine($"  fetch sha256=…    {fe:0.00} s  {Rate(fe):0} MB/s  (ratio {Rate(fe) / Rate(c):0.00} of curl, {Rate(fe) / Rate(v):0.00} of curl + sha256sum; " +
        $"SHA-256 computed while streaming and verified, job records kept; {edits} progress edits per download)");
}
finally
{
    try { Directory.Delete(root, true); } catch (IOException) { }
}

/// <summary>A loopback HTTP server: /delay/MS answers after MS milliseconds, /file streams the payload file.</summary>
sealed class BenchServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly string _file;
    private readonly Task _loop;

    public BenchServer(string file)
    {
        _file = file;
        _listener.Start();
        _loop = Task.Run(AcceptAsync);
    }

    public string Url(string path) => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}{path}";

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (OperationCanceledException) { return; }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var reader = new StreamReader(stream, Encoding.ASCII);
                while (await reader.ReadLineAsync() is { Length: > 0 } first)
                {
                    string? line;
                    while ((line = await reader.ReadLineAsync()) is { Length: > 0 }) { }
                    var path = first.Split(' ')[1];
                    if (path.StartsWith("/delay/", StringComparison.Ordinal))
                    {
                        await Task.Delay(int.Parse(path["/delay/".Length..]));
                        await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
                        continue;
                    }
                    var length = new FileInfo(_file).Length;
                    await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"));
                    await using var f = File.OpenRead(_file);
                    await f.CopyToAsync(stream, 1 << 20);
                    return;
                }
            }
            catch (IOException) { }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
    }
}
