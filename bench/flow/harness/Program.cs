using System.CommandLine;
using System.Diagnostics;
using Capstan.Cli;
using Capstan.Flow.GitFlow;

// "bench-finish TEMPLATE RUNS VERSION" times release finish in-process (as the chat server runs it, without process start-up).
if (args.Length == 4 && args[0] == "bench-finish")
{
    var template = args[1];
    var runs = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
    var times = new List<double>();
    for (var i = 0; i <= runs; i++)
    {
        var copy = template + "-inproc";
        if (Directory.Exists(copy)) Directory.Delete(copy, recursive: true);
        Process.Start("cp", ["-a", template, copy])!.WaitForExit();
        var sw = Stopwatch.StartNew();
        using (var repo = GitFlowRepository.Open(copy))
            await repo.FinishAsync(FlowBranchKind.Release, args[3], new FinishOptions { Message = "Release " + args[3] });
        if (i > 0) times.Add(sw.Elapsed.TotalMilliseconds); // the first run pays for JIT and is left out
    }
    Console.WriteLine($"{times.Average():F1}");
    return 0;
}

// "bench-version REPO RUNS" runs the version calculation in-process RUNS times after one new commit each (the server's case).
if (args.Length == 3 && args[0] == "bench-version")
{
    var times = new List<double>();
    for (var i = 0; i <= int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture); i++)
    {
        Process.Start("git", ["-C", args[1], "-c", "user.name=Bench", "-c", "user.email=bench@example.com", "commit", "-q", "--allow-empty", "-m", "bench " + i])!.WaitForExit();
        var sw = Stopwatch.StartNew();
        Capstan.Flow.Versioning.VersionCalculator.Calculate(args[1]);
        if (i > 0) times.Add(sw.Elapsed.TotalMilliseconds);
    }
    Console.WriteLine($"{times.Average():F1}");
    return 0;
}

// "bench-alloc REPO" computes the version once without Capstan's caches and prints the bytes it allocated (the native
// `capstan` keeps all of them: it runs in a no-GC region), for finding what a cold version holds.
if (args.Length == 2 && args[0] == "bench-alloc")
{
    var before = GC.GetTotalAllocatedBytes(precise: true);
    Capstan.Flow.Versioning.VersionCalculator.Calculate(args[1], useCache: false);
    Console.WriteLine($"{(GC.GetTotalAllocatedBytes(precise: true) - before) / 1048576.0:F1} MB allocated");
    // Resident now, split into the heap and runtime (anonymous) and mapped files (packs, indexes, the commit-graph file).
    foreach (var line in File.ReadLines("/proc/self/status"))
        if (line.StartsWith("VmHWM", StringComparison.Ordinal) || line.StartsWith("Rss", StringComparison.Ordinal)) Console.WriteLine(line);
    return 0;
}

var root = new RootCommand("capstan (flow verbs only, for benchmarks)");
foreach (var command in FlowVerbs.Create()) root.Add(command);
return FlowVerbs.Invoke(root, args);
