using Capstan.Cli;

namespace Capstan.Native;

/// <summary>
/// The `capstan` executable (Native AOT): the flow, version and changelog verbs run here, without starting a .NET
/// runtime; any other verb, and no verb at all, is handed to capstan-server. Exit codes as capstan-server's.
/// </summary>
public static class Program
{
    private const long NoCollectionBudget = 240L << 20;

    public static int Main(string[] args)
    {
        if (args.Length == 0 || !FlowVerbs.Handles(args[0])) return ServerApp.Exec(args);
        // A cached `capstan version` (the common case in CI and prompts) is answered before the command line is built.
        if (FlowVerbs.TryPrintCachedVersion(args, Console.Out)) return 0;
        // These verbs end within a second or two, and a cold version calculation keeps nearly all it allocates (~85 MB at
        // 100,000 commits): collecting would only copy it around (a fifth of the cold run). Past the budget the GC
        // simply resumes.
        try { GC.TryStartNoGCRegion(NoCollectionBudget); }
        catch (ArgumentOutOfRangeException) { } // a GC configured with a smaller limit: collect as usual
        using var stop = new CancellationTokenSource();
        using var signals = Core.StopSignals.Cancel(stop);
        return FlowVerbs.Run(args, stop.Token);
    }
}
