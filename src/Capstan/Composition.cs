using Capstan.Chat;
using Capstan.Core;
using Capstan.Core.Commands;
using Capstan.Core.Modules;
using Capstan.Delivery;
using Capstan.Incidents;
using Capstan.Indicators;
using Capstan.Runbooks;
using Capstan.Web;
using Microsoft.Extensions.Logging;

namespace Capstan;

/// <summary>The composition root: which modules make up Capstan, and how a data folder is opened with them.</summary>
public static class Composition
{
    /// <summary>
    /// Every module, one line each. Config sections, commands, services, start-up preparation, web pages and the
    /// navigation bar all come from this list, in this order.
    /// </summary>
    public static readonly CapstanModules Modules = new(
    [
        new CoreModule(),
        new DeliveryModule(),
        new RunbooksModule(),
        new IncidentsModule(),
        new IndicatorsModule(),
        new ChatModule(),
        new WebModule(),
    ]);

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
        var node = await CapstanNode.OpenAsync(data, Modules.Sections, Clock, ct, logs);
        Modules.Register(node.Registry);
        return node;
    }

    /// <summary>A registry with every command, for docs and help without opening a data folder.</summary>
    public static CommandRegistry Registry()
    {
        var r = new CommandRegistry();
        Modules.Register(r);
        return r;
    }
}
