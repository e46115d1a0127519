namespace Capstan.Delivery.Reconciliation;

/// <summary>What the delivery module keeps: deployments (history and last deploy), approval requests, and the threads that follow requests.</summary>
public interface IDeliveryStore
{
    /// <summary>Creates or upgrades the module's tables; every other call does it first when needed.</summary>
    Task EnsureAsync(CancellationToken ct);

    Task<DeploymentRecord> AddDeploymentAsync(DeploymentRecord r, CancellationToken ct);

    /// <summary>Newest first; all apps or environments when <paramref name="app"/> or <paramref name="environment"/> is null.</summary>
    Task<IReadOnlyList<DeploymentRecord>> DeploymentsAsync(string? app, string? environment, int limit, CancellationToken ct);

    /// <summary>The newest healthy deployment of every slot.</summary>
    Task<IReadOnlyList<DeploymentRecord>> LastHealthyAsync(CancellationToken ct);

    Task AddApprovalAsync(ApprovalRequest a, CancellationToken ct);

    /// <summary>A request by id, ignoring case; null when there is none.</summary>
    Task<ApprovalRequest?> ApprovalAsync(string id, CancellationToken ct);

    Task<IReadOnlyList<ApprovalRequest>> PendingApprovalsAsync(CancellationToken ct);

    /// <summary>Moves a request out of pending; false when someone else decided it first.</summary>
    Task<bool> DecideAsync(string id, string state, string? by, string? reason, CancellationToken ct);

    Task SaveThreadAsync(RequestThread t, CancellationToken ct);

    Task<RequestThread?> ThreadAsync(string requestId, CancellationToken ct);
}
