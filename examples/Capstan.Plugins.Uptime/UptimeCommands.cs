using System.Diagnostics;
using Capstan.Core.Commands;

namespace Capstan.Plugins.Uptime;

/// <summary>
/// An example plugin: <c>uptime</c> says how long this Capstan server has run and on which machine.
/// Any public <see cref="ICommandModule"/> with a parameterless constructor in a dll under DATA/plugins is
/// registered when Capstan starts, exactly like a built-in module.
/// </summary>
public sealed class UptimeCommands : ICommandModule
{
    public void Register(CommandRegistry registry) =>
        registry.Add(new CommandSpec("uptime", "Plugins", "How long this Capstan server has been running, and where")
            .Needs(CoreCommands.ReadPermission)
            .Example("uptime")
            .Runs(Uptime));

    private static Task<CommandResult> Uptime(CommandContext ctx)
    {
        var started = new DateTimeOffset(Process.GetCurrentProcess().StartTime.ToUniversalTime(), TimeSpan.Zero);
        var up = ctx.Clock.GetUtcNow() - started;
        return Task.FromResult(CommandResult.Info(
            $"Capstan on {Environment.MachineName} has been up {DurationText.Format(up < TimeSpan.Zero ? TimeSpan.Zero : up)} (since {started:yyyy-MM-dd HH:mm} UTC), process {Environment.ProcessId}."));
    }
}
