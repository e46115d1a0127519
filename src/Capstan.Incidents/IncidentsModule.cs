using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Egress;
using Capstan.Incidents.Alerts;
using Capstan.Incidents.Chat;
using Capstan.Incidents.Config;
using Capstan.Incidents.Desk;
using Capstan.Incidents.Figures;
using Capstan.Incidents.Notify;
using Capstan.Incidents.OnCall;
using Capstan.Incidents.Postmortems;
using Capstan.Incidents.Store;
using Capstan.Incidents.Timeline;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Capstan.Incidents;

/// <summary>
/// The incidents module's one entry point for the composition root:
/// <c>CapstanNode.OpenAsync(data, [IncidentsModule.Section, …])</c>, <c>services.AddIncidents()</c> after
/// <c>node.AddTo(services)</c>, and <c>IncidentsModule.Register(node.Registry)</c>.
/// </summary>
public static class IncidentsModule
{
    /// <summary>The config section: <c>incidents:</c>, <c>oncall:</c> and <c>notifications:</c> in capstan.yaml.</summary>
    public static readonly IConfigSection Section = new IncidentsSection();

    /// <summary>Adds the desk, timeline, postmortems, alert intake, on-call, notifications and the background pass.</summary>
    public static IServiceCollection AddIncidents(this IServiceCollection services, IncidentsOptions? options = null)
    {
        services.AddSingleton(options ?? new IncidentsOptions());
        services.AddSingleton<IncidentStore>();
        services.AddSingleton<OnCallRoster>();
        services.AddEgressHttpClient(DeliveryQueue.Client, TimeSpan.FromSeconds(10));
        services.AddSingleton<DeliveryQueue>();
        services.AddSingleton<Notifier>();
        services.AddSingleton<IncidentDesk>();
        services.AddSingleton<IncidentTimeline>();
        services.AddSingleton<IncidentFigures>();
        services.AddSingleton<PostmortemWriter>();
        services.AddSingleton<AlertIntake>();
        services.AddSingleton<Escalation>();
        services.AddSingleton<EventRouter>();
        services.AddSingleton<IncidentWatch>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<IncidentWatch>());
        return services;
    }

    /// <summary>Adds the incident and on-call commands to the registry.</summary>
    public static void Register(CommandRegistry registry)
    {
        new IncidentCommands().Register(registry);
        new OnCallCommands().Register(registry);
    }
}
