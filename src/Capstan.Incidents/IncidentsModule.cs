using Capstan.Core.Ledger.Events;
using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Modules;
using Capstan.Incidents.Chat;
using Capstan.Incidents.Config;
using Capstan.Incidents.Desk;
using Capstan.Incidents.Web;
using Capstan.Web;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Capstan.Incidents;

/// <summary>
/// The incidents module: incidents, on-call, notifications and postmortems; the incidents pages, their API and the
/// Alertmanager webhook.
/// </summary>
public sealed class IncidentsModule : IWebModule
{
    /// <summary>The config section: <c>incidents:</c>, <c>oncall:</c> and <c>notifications:</c> in capstan.yaml.</summary>
    public static readonly IConfigSection Section = new IncidentsSection();

    public string Name => "incidents";
    public IReadOnlyList<IConfigSection> Sections => [Section];
    public IReadOnlyList<ICommandModule> Commands => [new IncidentCommands(), new OnCallCommands()];
    public IReadOnlyList<Type> Events => [typeof(IncidentOpened), typeof(IncidentSeverityChanged), typeof(IncidentAcknowledged), typeof(IncidentResolved), typeof(IncidentReopened)];
    public IReadOnlyList<NavigationLink> Navigation => [new("/incidents", "Incidents", 300)];
    public void AddServices(IServiceCollection services, ProcessRole role) => services.AddIncidents();

    /// <summary>
    /// Opens the incident and direct-message rooms of earlier runs, and registers the secrets in the configuration with
    /// the redactor (the incidents watch does that when it is created); a server's hosted watch does both at start.
    /// </summary>
    public Task PrepareAsync(IServiceProvider services, CancellationToken ct)
    {
        services.GetRequiredService<IncidentWatch>();
        return services.GetRequiredService<IncidentDesk>().OpenRoomsAsync(ct);
    }

    public void MapEndpoints(IEndpointRouteBuilder app) => app.MapIncidents();
}
