using System.Diagnostics;
using System.Globalization;
using System.Text;
using Capstan.Bench.Delivery;
using Capstan.Core;
using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Modules;
using Capstan.Delivery;
using Capstan.Delivery.Apps;
using Capstan.Delivery.Board;
using Capstan.Delivery.Reconciliation;
using Capstan.Delivery.Targets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// dotnet run -c Release --project bench/delivery -- latency [N]      commit-to-healthy on the process target
// dotnet run -c Release --project bench/delivery -- noop [SIZES…]     no-change reconcile pass at 100/1000/10000 apps
if (args.Length > 0 && args[0] == "demo-app")
{
    var port = int.Parse(args[Array.IndexOf(args, "--port") + 1], CultureInfo.InvariantCulture);
    return await DemoApp.RunAsync(port, args[Array.IndexOf(args, "--version") + 1], CancellationToken.None);
}
var mode = args.FirstOrDefault() ?? "all";
if (mode is "latency" or "all") await Latency(args.Length > 1 && mode == "latency" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 30);
if (mode is "noop" or "all") await NoChange(mode == "noop" && args.Length > 1 ? args.Skip(1).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray() : [100, 1000, 10000]);
return 0;

static string Root() => Path.Combine(Path.GetTempPath(), "capstan-bench-" + Guid.NewGuid().ToString("N")[..8]);

static double P(List<double> xs, double p)
{
    var s = xs.Order().ToList();
    return s[Math.Clamp((int)Math.Ceiling(p * s.Count) - 1, 0, s.Count - 1)];
}

static async Task Latency(int n)
{
    var root = Root();
    var node = await CapstanNode.OpenAsync(DataFolder.At(root), [DeliveryModule.Section], TimeProvider.System, CancellationToken.None);
    node.Registry.Register(new DeliveryModule());
    await using var services = node.AddTo(new ServiceCollection()).AddDelivery(new DeliveryOptions { StopAppsOnShutdown = true }).BuildServiceProvider();
    var hosted = services.GetServices<IHostedService>().ToList();
    foreach (var h in hosted) await h.StartAsync(CancellationToken.None);
    var board = services.GetRequiredService<DeliveryBoard>();
    var ledger = node.Ledger;

    async Task<TimeSpan> Until(string version, Stopwatch sw)
    {
        var done = new TaskCompletionSource();
        void Check(BoardChange _)
        {
            if (board.Cell("demo", "staging") is { LiveVersion: var live, Health: HealthState.Healthy, Sync: SyncState.Synced } && live == version) done.TrySetResult();
        }
        board.Changed += Check;
        Check(new BoardChange("demo", "staging"));
        await done.Task.WaitAsync(TimeSpan.FromSeconds(60));
        board.Changed -= Check;
        return sw.Elapsed;
    }

    await Until("1.0.0", Stopwatch.StartNew());
    foreach (var (label, nudge) in new[] { ("commit + notify (chat deploy, push hook)", true), ("push detected by polling (no hook)", false) })
    {
        var total = new List<double>();
        var own = new List<double>();
        for (var i = 0; i < n; i++)
        {
            var version = i % 2 == 0 ? "1.1.0" : "1.2.0";
            var sw = Stopwatch.StartNew();
            await node.ConfigRepo.CommitAsync(new ConfigChange($"deploy demo {version} to staging", new CommitAuthor("Bench", "bench@example.com"),
                _ => new Dictionary<string, string?> { ["environments/staging/demo.yaml"] = $"version: {version}\n" }), CancellationToken.None);
            if (nudge) await node.Reloader.RefreshAsync(CancellationToken.None);
            var took = await Until(version, sw);
            total.Add(took.TotalMilliseconds);
            var healthy = (await ledger.QueryAsync(new Capstan.Core.Ledger.LedgerQuery(Kind: "delivery.healthy", Limit: 1, Newest: true), CancellationToken.None))[0];
            using var doc = System.Text.Json.JsonDocument.Parse(healthy.Data);
            own.Add(doc.RootElement.GetProperty("took").GetDouble() * 1000);
        }
        var overhead = total.Zip(own, (a, b) => a - b).ToList();
        Console.WriteLine($"latency | {label} | n={n} | commit→healthy p50 {P(total, .5):0} ms, p99 {P(total, .99):0} ms | app start→healthy p50 {P(own, .5):0} ms | Capstan's part p50 {P(overhead, .5):0} ms, p99 {P(overhead, .99):0} ms");
    }
    for (var i = hosted.Count - 1; i >= 0; i--) await hosted[i].StopAsync(CancellationToken.None);
    await services.GetRequiredService<Capstan.Delivery.Targets.Process.ProcessTarget>().StopAllAsync();
    await node.DisposeAsync();
    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    Directory.Delete(root, true);
}

static async Task NoChange(int[] sizes)
{
    foreach (var size in sizes)
    {
        var root = Root();
        var node = await CapstanNode.OpenAsync(DataFolder.At(root), [DeliveryModule.Section], TimeProvider.System, CancellationToken.None);
        await node.ConfigRepo.CommitAsync(new ConfigChange($"{size} apps", new CommitAuthor("Bench", "bench@example.com"), _ =>
        {
            var files = new Dictionary<string, string?>();
            for (var i = 0; i < size; i++)
            {
                var app = $"app{i:00000}";
                files[$"apps/{app}.yaml"] = $"run:\n  command: [\"/usr/bin/{app}\", --port, \"{{port}}\"]\nhealth: {{ path: /healthz }}\nversions:\n  1.0.0: {{}}\n  1.1.0: {{}}\n";
                files[$"environments/staging/{app}.yaml"] = "version: 1.1.0\n";
            }
            return files;
        }), CancellationToken.None);
        var read = Stopwatch.StartNew();
        var head = node.ConfigRepo.HeadSha()!;
        var files = node.ConfigRepo.ReadFiles(head);
        read.Stop();
        var parse = Stopwatch.StartNew();
        node.ConfigLoader.Load(head, DateTimeOffset.UtcNow, files);
        parse.Stop();
        var load = Stopwatch.StartNew();
        await node.Reloader.RefreshAsync(CancellationToken.None);
        load.Stop();
        var cfg = node.Config.Current.Get<DeliveryConfig>();
        var target = new InMemoryTarget();
        foreach (var (slot, d) in cfg.Desired)
            target.Running(new Release(slot, cfg.Apps[slot.App], cfg.Apps[slot.App].Versions[d.Version], node.Config.Current.Commit));
        await using var services = node.AddTo(new ServiceCollection()).AddDelivery().AddSingleton<ITarget>(target).BuildServiceProvider();
        var reconciler = services.GetRequiredService<Reconciler>();
        await reconciler.PrepareAsync(CancellationToken.None);
        var first = await reconciler.ReconcileAsync(CancellationToken.None);
        if (first.Started != 0) throw new InvalidOperationException($"expected no applies, got {first.Started}");
        GC.Collect();
        var heap = GC.GetTotalMemory(true);
        var allocated = GC.GetTotalAllocatedBytes(true);
        var times = new List<double>();
        const int passes = 20;
        for (var i = 0; i < passes; i++)
        {
            var r = await reconciler.ReconcileAsync(CancellationToken.None);
            if (r.Started != 0) throw new InvalidOperationException("a no-change pass started an apply");
            times.Add(r.Took.TotalMilliseconds);
        }
        var perPass = (GC.GetTotalAllocatedBytes(true) - allocated) / passes;
        Console.WriteLine($"noop | {size,6} apps ({cfg.Desired.Count} slots) | pass p50 {P(times, .5):0.0} ms, p99 {P(times, .99):0.0} ms | allocated {perPass / 1024.0 / 1024:0.00} MiB/pass | heap {heap / 1024.0 / 1024:0} MiB | working set {Environment.WorkingSet / 1024.0 / 1024:0} MiB | config load of the commit {load.Elapsed.TotalMilliseconds:0} ms (read files {read.Elapsed.TotalMilliseconds:0} ms, validate {parse.Elapsed.TotalMilliseconds:0} ms)");
        await node.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(root, true);
    }
}
