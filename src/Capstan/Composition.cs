using Capstan.Core;
using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Delivery;
using Capstan.Incidents;
using Capstan.Indicators;
using Capstan.Runbooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Capstan;

/// <summary>The composition root: which modules make up Capstan, and how a data folder is opened with them.</summary>
public static class Composition
{
    /// <summary>Every module's configuration section.</summary>
    public static IReadOnlyList<IConfigSection> Sections() => [DeliveryModule.Section, DeliveryModule.Sources, RunbooksModule.Section, IncidentsModule.Section, IndicatorsModule.Section, new Web.Metrics.MetricsSection()];

    /// <summary>Every module's commands.</summary>
    public static IEnumerable<ICommandModule> CommandModules() => [new CoreCommands(), new Delivery.Chat.DeliveryCommands(), new Delivery.Sources.FlowCommands(), new Runbooks.Chat.RunbookCommands(), new Runbooks.Transfers.FetchCommands(), new Incidents.Chat.IncidentCommands(), new Incidents.Chat.OnCallCommands(), new Indicators.Chat.MetricsCommands()];

    /// <summary>
    /// Module services (read models, background loops) on top of the node's. A serving process stops the apps it
    /// supervises when it is stopped; after a crash they keep running and are adopted at the next start.
    /// </summary>
    public static void AddModules(IServiceCollection services, bool serving = false) =>
        services.AddDelivery(new DeliveryOptions { StopAppsOnShutdown = serving }).AddRunbooks().AddIncidents().AddIndicators();

    /// <summary>
    /// What a process that answers chat without starting the hosted services (the CLI's in-process mode) must do
    /// first: open the rooms modules create at run time, such as incident rooms, and register the secrets in
    /// their configuration with the redactor (the incidents watch does that when it is created).
    /// </summary>
    public static Task PrepareAsync(IServiceProvider services, CancellationToken ct)
    {
        services.GetRequiredService<IncidentWatch>();
        return services.GetRequiredService<Incidents.Desk.IncidentDesk>().OpenRoomsAsync(ct);
    }

    /// <summary>The clock every verb runs on: the system's, or shifted to the instant <c>CAPSTAN_CLOCK</c> names (<see cref="ShiftedClock"/>).</summary>
    public static TimeProvider Clock => _clock ??= ReadClock();

    private static TimeProvider? _clock;

    private static TimeProvider ReadClock()
    {
        try { return ShiftedClock.FromEnvironment(); }
        catch (ArgumentException ex) { throw new Cli.UsageException(ex.Message); }
    }

    public static async Task<CapstanNode> OpenAsync(DataFolder data, CancellationToken ct, ILoggerFactory? logs = null)
    {
        var node = await CapstanNode.OpenAsync(data, Sections(), Clock, ct, logs);
        foreach (var m in CommandModules()) m.Register(node.Registry);
        return node;
    }

    /// <summary>A registry with every command, for docs and help without opening a data folder.</summary>
    public static CommandRegistry Registry()
    {
        var r = new CommandRegistry();
        foreach (var m in CommandModules()) m.Register(r);
        return r;
    }
}
