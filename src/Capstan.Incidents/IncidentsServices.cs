using Capstan.Core.Egress;
using Capstan.Incidents.Alerts;
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

/// <summary>The incidents module's services, for the module and for tests that compose a node with incidents alone.</summary>
public static class IncidentsServices
{
    /// <summary>Adds the desk, timeline, postmortems, alert intake, on-call, notifications and the background pass.</summary>
    public static IServiceCollection AddIncidents(this IServiceCollection services, IncidentsOptions? options = null)
    {
        services.AddSingleton(options ?? new IncidentsOptions());
        services.AddSingleton<IIncidentStore, IncidentStore>();
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
}
