using Capstan.Core.Ledger.Events;
using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Modules;
using Capstan.Delivery.Apps;
using Capstan.Delivery.Chat;
using Capstan.Delivery.Web;
using Capstan.Web;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Capstan.Delivery;

/// <summary>
/// The delivery module: apps and environments in the config repo, the reconciler and the process target, approvals,
/// GitFlow commands on source repos, and the dashboard.
/// </summary>
public sealed class DeliveryModule : IWebModule
{
    /// <summary>The config section: apps/, environments/, locks/, <c>delivery:</c> and the environment keys autoRollback and selfHeal.</summary>
    public static readonly IConfigSection Section = new DeliverySection();

    /// <summary>The <c>repos:</c> section: source repositories GitFlow commands work on.</summary>
    public static readonly IConfigSection Sources = new Sources.SourceReposSection();

    public string Name => "delivery";
    public IReadOnlyList<IConfigSection> Sections => [Section, Sources];
    public IReadOnlyList<ICommandModule> Commands => [new DeliveryCommands(), new Sources.FlowCommands()];
    public IReadOnlyList<Type> Events =>
    [
        typeof(ApplyStarted), typeof(DeploymentSucceeded), typeof(DeploymentFailed), typeof(RolledBack), typeof(HealthChanged),
        typeof(DriftDetected), typeof(SlotAdopted), typeof(ApplySuperseded), typeof(SlotRemoved), typeof(DeliveryError),
        typeof(ChangeCommitted), typeof(ApprovalRequested), typeof(ApprovalApproved), typeof(ApprovalDenied), typeof(ApprovalCancelled),
        typeof(ApprovalExpired), typeof(EnvironmentLocked), typeof(EnvironmentUnlocked),
    ];
    public IReadOnlyList<NavigationLink> Navigation => [new("/dashboard", "Dashboard", 200)];

    /// <summary>A server stops the apps it supervises when it is stopped; after a crash they keep running and are adopted at the next start.</summary>
    public void AddServices(IServiceCollection services, ProcessRole role) =>
        services.AddDelivery(new DeliveryOptions { StopAppsOnShutdown = role == ProcessRole.Server });

    public Task PrepareAsync(IServiceProvider services, CancellationToken ct) => Task.CompletedTask;

    public void MapEndpoints(IEndpointRouteBuilder app) => app.MapDashboard();
}
