using System.CommandLine;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Capstan.Cli;

namespace Capstan;

/// <summary>
/// capstan-server, the JIT-compiled app with every verb: parses the verb and hands over to it. The `capstan` executable
/// (src/Capstan.Native, compiled ahead of time) runs the flow, version and changelog verbs itself and execs this app for
/// the others. Exit codes: 0 success, 1 refused or failed, 2 usage error.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        // The flow, version and changelog verbs need only Capstan.Flow, LibGit2Sharp and System.CommandLine. They are
        // dispatched before the server verbs are even built, so a short command such as a cached `capstan version` does
        // not load, bind and prepare the types of ASP.NET, SQLite, the chat adapters and the other modules (see the Flow
        // section of docs/benchmarks.md). The two paths are separate methods so neither compiles the other's references.
        if (args.Length > 0 && FlowVerbs.Handles(args[0]))
        {
            // A cached `capstan version` (the common case in CI and prompts) is answered before the command line is built.
            if (FlowVerbs.TryPrintCachedVersion(args, Console.Out)) return 0;
            return RunFlowVerb(args);
        }
        return RunServerVerb(args).GetAwaiter().GetResult();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int RunFlowVerb(string[] args)
    {
        using var stop = new CancellationTokenSource();
        using var signals = Core.StopSignals.Cancel(stop);
        return FlowVerbs.Run(args, stop.Token);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<int> RunServerVerb(string[] args)
    {
        var root = new RootCommand(FlowVerbs.CapstanDescription)
        {
            UpVerb.Create(),
            ChatVerbs.Say(),
            ChatVerbs.Chat(),
            AdminVerbs.Token(),
            AdminVerbs.SignInLink(),
            AdminVerbs.Ledger(),
            AdminVerbs.Validate(),
            AdminVerbs.CheckPush(),
            AdminVerbs.Docs(),
            AdaptersVerb.Create(),
            DemoAppVerb.Create(),
        };
        foreach (var verb in FlowVerbs.Create()) root.Add(verb);
        // People run this app as `capstan` (the native front execs it), so help says so rather than capstan-server.
        root.HelpName = "capstan";
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0) return UsageErrors(parse, args);
        using var stop = new CancellationTokenSource();
        using var signals = Core.StopSignals.Cancel(stop);
        try
        {
            // ProcessTerminationTimeout null: StopSignals already turns Ctrl+C/SIGTERM into `stop`. System.CommandLine's
            // own handler would return 130 two seconds into a graceful stop and end the process while `up` still stops its apps.
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null }, stop.Token);
        }
        catch (UsageException ex)
        {
            Terminal.Error(ex.Message);
            return 2;
        }
        catch (CommandFailedException ex)
        {
            Terminal.Error(ex.Message);
            return 1;
        }
        catch (Core.Config.ConfigException ex)
        {
            // No commit in the config repo's history is valid: there is no last good configuration to fall back on.
            Terminal.Error($"No commit of the config repo has a valid configuration ({ex.Errors.FirstOrDefault()}); fix capstan.yaml and push (`capstan validate` lists every error).");
            return 1;
        }
        catch (HttpRequestException ex)
        {
            Terminal.Error($"Cannot reach the Capstan server: {ex.Message}. Is it running (`capstan up`)?");
            return 1;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return 130;
        }
    }

    private static int UsageErrors(ParseResult parse, string[] args)
    {
        foreach (var e in parse.Errors) Console.Error.WriteLine(e.Message);
        Console.Error.WriteLine($"Run `capstan {string.Join(' ', args.TakeWhile(a => !a.StartsWith('-')).Take(2))} --help` for usage.".Replace("  ", " ", StringComparison.Ordinal));
        return 2;
    }
}
