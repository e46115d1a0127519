using System.Text.Json.Serialization;

namespace Capstan.Core.Ledger.Events;

// Entries the delivery module writes and the incidents and indicators modules read. Field order is the stored order:
// changing it changes the bytes (and hashes) of new entries, not the reading of old ones.

/// <summary>An apply of a version to an app in an environment started (<c>delivery.apply</c>).</summary>
public sealed record ApplyStarted(string App, string Environment, string Version, string? Commit, string Reason, string Target, string? Request) : ILedgerEvent
{
    public const string Kind = "delivery.apply";
    static string ILedgerEvent.EventKind => Kind;
}

/// <summary>A deployment finished healthy (<c>delivery.healthy</c>); <see cref="Took"/> in seconds.</summary>
public sealed record DeploymentSucceeded(string App, string Environment, string Version, string? Commit, string Url, double Took, string Reason, string Subject) : ILedgerEvent
{
    public const string Kind = "delivery.healthy";
    static string ILedgerEvent.EventKind => Kind;
}

/// <summary>A deployment failed its start or health check (<c>delivery.failed</c>).</summary>
public sealed record DeploymentFailed(string App, string Environment, string Version, string? Commit, string Reason, string Detail, string Subject) : ILedgerEvent
{
    public const string Kind = "delivery.failed";
    static string ILedgerEvent.EventKind => Kind;
}

/// <summary>Capstan reverted the commit that caused a failure (<c>delivery.rollback</c>): <see cref="Revert"/> reverts <see cref="Reverted"/>.</summary>
public sealed record RolledBack(string App, string Environment, string Version, string? Reverted, string? Revert, bool Automatic, string Detail, string Subject) : ILedgerEvent
{
    public const string Kind = "delivery.rollback";
    static string ILedgerEvent.EventKind => Kind;
}

/// <summary>A running app's health changed (<c>delivery.health</c>): Healthy, Degraded, … from <see cref="Was"/>.</summary>
public sealed record HealthChanged(string App, string Environment, string Health, string Was, string Detail, string Subject) : ILedgerEvent
{
    public const string Kind = "delivery.health";
    static string ILedgerEvent.EventKind => Kind;
}

/// <summary>
/// What runs stopped or changed outside Capstan (<c>delivery.drift</c>). <see cref="Instance"/> is the number the target
/// names the stopped instance by (the process target's pid), stored as <c>pid</c> since the first version.
/// </summary>
public sealed record DriftDetected(string App, string Environment, string Version, [property: JsonPropertyName("pid")] long? Instance, string? What, bool Healing, string Subject) : ILedgerEvent
{
    public const string Kind = "delivery.drift";
    static string ILedgerEvent.EventKind => Kind;
}

/// <summary>After a start, what already ran (or was started again) was taken over (<c>delivery.adopted</c>); <see cref="Instance"/> as in <see cref="DriftDetected"/>.</summary>
public sealed record SlotAdopted(string App, string Environment, string Version, [property: JsonPropertyName("pid")] long? Instance, string How, string Subject) : ILedgerEvent
{
    public const string Kind = "delivery.adopted";
    static string ILedgerEvent.EventKind => Kind;
}

/// <summary>A newer change cancelled an apply before it finished (<c>delivery.superseded</c>).</summary>
public sealed record ApplySuperseded(string App, string Environment, string Version, string? Commit) : ILedgerEvent
{
    public const string Kind = "delivery.superseded";
    static string ILedgerEvent.EventKind => Kind;
}

/// <summary>An app was removed from an environment and stopped (<c>delivery.removed</c>).</summary>
public sealed record SlotRemoved(string App, string Environment, string? Version, string? Commit) : ILedgerEvent
{
    public const string Kind = "delivery.removed";
    static string ILedgerEvent.EventKind => Kind;
}

/// <summary>
/// A reconciler step threw (<c>delivery.error</c>): the step ("reconcile", "apply", "resume", "rollback"), what it
/// worked on, and for an apply the attempt and the seconds until the next one.
/// </summary>
public sealed record DeliveryError(string Step, string? App = null, string? Environment = null, string? Version = null, string? Reason = null,
    string? Error = null, string? Detail = null, int? Attempt = null, double? RetryIn = null) : ILedgerEvent
{
    public const string Kind = "delivery.error";
    static string ILedgerEvent.EventKind => Kind;
}

/// <summary>A deploy, rollback or promotion asked for in chat was committed to the config repo (<c>delivery.commit</c>).</summary>
public sealed record ChangeCommitted(string? Request, string Action, string App, string Environment, string Version, string Commit, IEnumerable<string>? Approvers, string Subject) : ILedgerEvent
{
    public const string Kind = "delivery.commit";
    static string ILedgerEvent.EventKind => Kind;
}

/// <summary>A change to a protected environment waits for a second person (<c>delivery.approval.requested</c>).</summary>
public sealed record ApprovalRequested(string Id, string? Request, string Action, string App, string Environment, string Version, DateTimeOffset ExpiresAt, string Subject) : ILedgerEvent
{
    public const string Kind = "delivery.approval.requested";
    static string ILedgerEvent.EventKind => Kind;
}

/// <summary>An approval request was approved (<c>delivery.approval.approved</c>).</summary>
public sealed record ApprovalApproved(string Id, string? Request, string Subject) : ILedgerEvent
{
    public const string Kind = "delivery.approval.approved";
    static string ILedgerEvent.EventKind => Kind;
}

/// <summary>An approval request was denied (<c>delivery.approval.denied</c>).</summary>
public sealed record ApprovalDenied(string Id, string? Request, string? Reason, string Subject) : ILedgerEvent
{
    public const string Kind = "delivery.approval.denied";
    static string ILedgerEvent.EventKind => Kind;
}

/// <summary>The requester withdrew an approval request (<c>delivery.approval.cancelled</c>).</summary>
public sealed record ApprovalCancelled(string Id, string? Request, string Subject) : ILedgerEvent
{
    public const string Kind = "delivery.approval.cancelled";
    static string ILedgerEvent.EventKind => Kind;
}

/// <summary>An approval request ran out of time (<c>delivery.approval.expired</c>).</summary>
public sealed record ApprovalExpired(string Id, string? Request, string Subject) : ILedgerEvent
{
    public const string Kind = "delivery.approval.expired";
    static string ILedgerEvent.EventKind => Kind;
}

/// <summary>An environment was frozen (<c>delivery.lock</c>).</summary>
public sealed record EnvironmentLocked(string Environment, string Reason, string? Commit, string Subject) : ILedgerEvent
{
    public const string Kind = "delivery.lock";
    static string ILedgerEvent.EventKind => Kind;
}

/// <summary>An environment's freeze was lifted (<c>delivery.unlock</c>).</summary>
public sealed record EnvironmentUnlocked(string Environment, string? Commit, string Subject) : ILedgerEvent
{
    public const string Kind = "delivery.unlock";
    static string ILedgerEvent.EventKind => Kind;
}
