// Chat platforms: per adapter, against its server, messages per second taken in and answered, the latency the adapter
// adds over the web chat, and the memory one connected adapter holds.
//   dotnet run -c Release --project bench/platforms -- [N=500] [CLIENTS=8] [PLATFORM…]
// Each platform's scenario (tests/Capstan.Chat.Tests/*/…Scenario.cs) starts its server and a node; the baseline is the
// same `whoami` through the conversation directly on the same node, so the difference is what the adapter and the
// platform's protocol add. Prints a Markdown table.
using System.Diagnostics;
using System.Globalization;
using Capstan.Chat.Tests.Bench;

var n = args.Length > 0 && int.TryParse(args[0], out var parsedN) ? parsedN : 500;
var clients = args.Length > 1 && int.TryParse(args[1], out var parsedC) ? parsedC : 8;
var only = args.Skip(2).ToHashSet(StringComparer.OrdinalIgnoreCase);
var scenarios = typeof(IPlatformScenario).Assembly.GetTypes()
    .Where(t => typeof(IPlatformScenario).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
    .Select(t => (IPlatformScenario)Activator.CreateInstance(t)!)
    .Where(s => only.Count == 0 || only.Contains(s.Platform))
    .OrderBy(s => s.Platform, StringComparer.Ordinal)
    .ToList();
if (scenarios.Count == 0) { Console.Error.WriteLine("No platform scenario matched; known: " + string.Join(", ", typeof(IPlatformScenario).Assembly.GetTypes().Where(t => typeof(IPlatformScenario).IsAssignableFrom(t) && !t.IsInterface).Select(t => t.Name))); return 1; }

var rows = new List<string>();
foreach (var scenario in scenarios)
{
    Console.Error.WriteLine($"== {scenario.Platform} against {scenario.Server}: {n} messages, {clients} clients");
    using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
    await using var driver = await scenario.StartAsync(timeout.Token);
    for (var i = 0; i < Math.Min(50, n); i++) { await driver.RoundTripAsync(0, "whoami", timeout.Token); await driver.BaselineAsync(0, "whoami", timeout.Token); }

    var platform = await Sequential(i => driver.RoundTripAsync(0, "whoami", timeout.Token), Math.Min(n, 200));
    var baseline = await Sequential(i => driver.BaselineAsync(0, "whoami", timeout.Token), Math.Min(n, 200));
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    var watch = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
    {
        for (var i = c; i < n; i += clients) await driver.RoundTripAsync(c, "whoami", timeout.Token);
    }));
    var seconds = watch.Elapsed.TotalSeconds;
    var cpuPer = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / n;
    rows.Add(string.Create(CultureInfo.InvariantCulture,
        $"| {scenario.Platform} | {scenario.Server} | {n / seconds:0} | {Percentile(platform, 50):0.00} | {Percentile(platform, 99):0.00} | {Percentile(baseline, 50):0.00} | {Percentile(platform, 50) - Percentile(baseline, 50):+0.00;-0.00} | {cpuPer:0} | {driver.AdapterBytes / 1024.0:0} |"));
}
Console.WriteLine($"N={n}, {clients} concurrent clients for the rate; latency from {Math.Min(n, 200)} sequential round trips. CPU is the whole process (server, node and client) per message.");
Console.WriteLine();
Console.WriteLine("| platform | server | msg/s answered | p50 ms | p99 ms | web chat p50 ms | added p50 ms | CPU µs/msg | adapter KiB |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
foreach (var r in rows) Console.WriteLine(r);
return 0;

static async Task<List<double>> Sequential(Func<int, Task> once, int count)
{
    var times = new List<double>(count);
    for (var i = 0; i < count; i++)
    {
        var start = Stopwatch.GetTimestamp();
        await once(i);
        times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }
    return times;
}

static double Percentile(List<double> values, int p)
{
    var sorted = values.OrderBy(v => v).ToList();
    return sorted[Math.Clamp((int)Math.Ceiling(p / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];
}
