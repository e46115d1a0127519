using System.CommandLine;
using Capstan.Delivery;

namespace Capstan.Cli;

/// <summary>`capstan demo-app` (hidden): the small HTTP service the seeded demo app runs, so the demo needs no other toolchain.</summary>
public static class DemoAppVerb
{
    public static Command Create()
    {
        var port = new Option<int>("--port") { Required = true, Description = "Port on 127.0.0.1" };
        var version = new Option<string>("--version") { Required = true, Description = "Version to serve" };
        var cmd = new Command("demo-app", "Run the demo service (used by the seeded demo app)") { port, version };
        cmd.Hidden = true;
        cmd.SetAction((parse, ct) => DemoApp.RunAsync(parse.GetValue(port), parse.GetValue(version)!, ct));
        return cmd;
    }
}
