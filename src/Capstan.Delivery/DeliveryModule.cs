using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Delivery.Apps;
using Capstan.Delivery.Board;
using Capstan.Delivery.Chat;
using Capstan.Delivery.Reconciliation;
using Capstan.Delivery.Targets;
using Capstan.Delivery.Targets.Process;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Capstan.Delivery;

/// <summary>
/// The delivery module's one entry point for the composition root:
/// <c>CapstanNode.OpenAsync(data, [DeliveryModule.Section, …])</c>, <c>services.AddDelivery()</c> after
/// <c>node.AddTo(services)</c>, and <c>DeliveryModule.Register(node.Registry)</c>.
/// </summary>
public static class DeliveryModule
{
    /// <summary>The config section: apps/, environments/, locks/, <c>delivery:</c> and the environment keys autoRollback and selfHeal.</summary>
    public static readonly IConfigSection Section = new DeliverySection();

    /// <summary>The <c>repos:</c> section: source repositories GitFlow commands work on.</summary>
    public static readonly IConfigSection Sources = new Sources.SourceReposSection();

    /// <summary>Adds the reconciler (a hosted service), the process target, the board, approvals and history.</summary>
    public static IServiceCollection AddDelivery(this IServiceCollection services, DeliveryOptions? options = null)
    {
        services.AddSingleton(options ?? new DeliveryOptions());
        services.AddSingleton<DeliveryStore>();
        HealthProbe.Register(services);
        ArtifactStore.Register(services);
        services.AddSingleton<ProcessTarget>();
        services.AddSingleton<ITarget>(sp => sp.GetRequiredService<ProcessTarget>());
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

    /// <summary>Adds the delivery commands to the registry.</summary>
    public static void Register(CommandRegistry registry)
    {
        new DeliveryCommands().Register(registry);
        new Sources.FlowCommands().Register(registry);
    }
}
