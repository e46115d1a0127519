using Capstan.Core.Commands;
using Capstan.Delivery.Board;
using Capstan.Delivery.Chat;
using Capstan.Delivery.Reconciliation;
using Capstan.Delivery.Targets;
using Capstan.Delivery.Targets.Process;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Capstan.Delivery;

/// <summary>The delivery module's services, for the module and for tests that compose a node with delivery alone.</summary>
public static class DeliveryServices
{
    /// <summary>Adds the reconciler (a hosted service), the process target, the board, approvals and history.</summary>
    public static IServiceCollection AddDelivery(this IServiceCollection services, DeliveryOptions? options = null)
    {
        services.AddSingleton(options ?? new DeliveryOptions());
        services.AddSingleton<IDeliveryStore, DeliveryStore>();
        HealthProbe.Register(services);
        ArtifactStore.Register(services);
        services.AddSingleton<ProcessTarget>();
        services.AddSingleton<ITarget>(sp => sp.GetRequiredService<ProcessTarget>());
        services.AddSingleton(sp => new TargetRegistry(sp.GetServices<ITarget>()));
        services.AddSingleton<RequestThreads>();
        services.AddSingleton<Reconciler>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<Reconciler>());
        services.AddSingleton<DeliveryBoard>();
        services.AddSingleton<IAppProbe, AppProbe>();
        services.AddSingleton<ChangeRequests>();
        services.AddSingleton<ApprovalDesk>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<ApprovalDesk>());
        services.AddSingleton<ICancellationSource>(sp => sp.GetRequiredService<ApprovalDesk>());
        services.AddSingleton<IHistorySource, DeliveryHistory>();
        services.AddSingleton<Sources.SourceWorkspace>();
        return services;
    }
}
