using Capstan.Core.Commands;
using Capstan.Core.Ledger;
using Capstan.Runbooks.Plugins;
using Microsoft.Extensions.DependencyInjection;

namespace Capstan.Runbooks.Tests;

public sealed class PluginTests
{
    private static string ExampleDll => Path.Combine(AppContext.BaseDirectory, "Capstan.Plugins.Uptime.dll");

    private static string NewRoot(Action<string> plugins)
    {
        var root = Path.Combine(Path.GetTempPath(), "capstan-runbooks-" + Guid.NewGuid().ToString("N")[..10]);
        var folder = Path.Combine(root, "plugins");
        Directory.CreateDirectory(folder);
        plugins(folder);
        return root;
    }

    [Fact]
    public async Task The_example_plugin_dropped_in_the_plugins_folder_adds_its_command_to_help_and_chat()
    {
        var root = NewRoot(folder => File.Copy(ExampleDll, Path.Combine(folder, "Capstan.Plugins.Uptime.dll")));
        await using var t = await RunbookNode.StartAsync(root);
        var loaded = Assert.Single(t.Services.GetRequiredService<PluginCommands>().Loaded);
        Assert.Null(loaded.Problem);
        Assert.Equal(["uptime"], loaded.Commands);

        Assert.Contains("uptime — How long this Capstan server has been running", (await t.SayAsync("carol", "help")).Replies[0].Text);
        var r = await t.SayAsync("carol", "uptime");
        Assert.Equal(CommandOutcome.Succeeded, r.Outcome);
        Assert.Contains($"process {Environment.ProcessId}", r.Replies[0].Text);
        var guest = await t.Services.GetRequiredService<Capstan.Core.Conversation.Conversation>()
            .HandleAsync(new Capstan.Core.Conversation.IncomingMessage("irc", "stranger", "ops", "uptime", null, true), CancellationToken.None);
        Assert.Equal(CommandOutcome.Refused, guest.Outcome);
    }

    [Fact]
    public async Task Broken_plugins_and_plugins_that_clash_are_refused_with_a_reason_and_capstan_still_starts()
    {
        var root = NewRoot(folder =>
        {
            File.WriteAllText(Path.Combine(folder, "broken.dll"), "this is not an assembly");
            File.Copy(ExampleDll, Path.Combine(folder, "Capstan.Plugins.Uptime.dll"));
            var again = Path.Combine(folder, "Capstan.Plugins.Uptime");
            Directory.CreateDirectory(again);
            File.Copy(ExampleDll, Path.Combine(again, "Capstan.Plugins.Uptime.dll"));
        });
        await using var t = await RunbookNode.StartAsync(root);
        var loaded = t.Services.GetRequiredService<PluginCommands>().Loaded;
        Assert.Equal(3, loaded.Count);
        Assert.Contains(loaded, p => p.Problem == "broken.dll is not a .NET assembly; build the plugin for net10.0 and copy its dll");
        Assert.Contains(loaded, p => p.Problem is null && p.Commands.SequenceEqual(["uptime"]));
        Assert.Contains(loaded, p => p.Problem == "Capstan.Plugins.Uptime.dll declares 'uptime', which is already a command; rename it in the plugin");
        Assert.Equal(CommandOutcome.Succeeded, (await t.SayAsync("carol", "uptime")).Outcome);
        var ledger = await t.Node.Ledger.QueryAsync(new LedgerQuery(Limit: 1000), CancellationToken.None);
        Assert.Equal(2, ledger.Count(e => e.Kind == "plugin.refused"));
    }
}
