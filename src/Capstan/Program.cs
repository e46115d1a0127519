using System.CommandLine;
using Capstan.Cli;

namespace Capstan;

/// <summary>The `capstan` executable: parses the verb and hands over to it. Exit codes: 0 success, 1 refused or failed, 2 usage error.</summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var root = new RootCommand("Capstan — conversation-driven DevOps: ChatOps, GitOps and GitFlow in one server.")
        {
            UpVerb.Create(),
            ChatVerbs.Say(),
            ChatVerbs.Chat(),
            AdminVerbs.Token(),
            AdminVerbs.SignInLink(),
            AdminVerbs.Ledger(),
            AdminVerbs.Validate(),
            AdminVerbs.Docs(),
            DemoAppVerb.Create(),
        };
        foreach (var verb in FlowVerbs.Create()) root.Add(verb);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine($"Run `capstan {string.Join(' ', args.TakeWhile(a => !a.StartsWith('-')).Take(2))} --help` for usage.".Replace("  ", " ", StringComparison.Ordinal));
            return 2;
        }
        var stop = new CancellationTokenSource();
        // SIGINT and SIGTERM stop the verb gracefully (the server deletes server.json, the ledger flushes).
        using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }, stop.Token);
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
}
