namespace Capstan.Indicators.History;

/// <summary>How a deployment was asked for: a planned change, or a rollback (from chat or automatic).</summary>
public enum DeployKind { Change, Rollback, AutomaticRollback }

/// <summary>One finished apply of a version in an environment (delivery.healthy or delivery.failed), self-heal restarts excluded.</summary>
public sealed record Deployment(long Seq, string App, string Environment, string Version, string? Commit, DateTimeOffset At, bool Succeeded, string Reason)
{
    /// <summary>Set once the whole history is known: whether the deploy's config commit was a rollback.</summary>
    public DeployKind Kind { get; internal set; } = DeployKind.Change;

    public string ShortCommit => Commit is { Length: > 7 } c ? c[..7] : Commit ?? "?";
}

/// <summary>An automatic rollback (delivery.rollback): the failed version and the revert commit Capstan made.</summary>
public sealed record Rollback(long Seq, string App, string Environment, string Version, DateTimeOffset At, string? Reverted, string? Revert);

/// <summary>A health change of a running app (delivery.health), e.g. Healthy → Degraded.</summary>
public sealed record HealthChange(long Seq, string App, string Environment, DateTimeOffset At, string Health, string Was)
{
    public bool Bad => Health is "Degraded";
    public bool Good => Health is "Healthy";
}

/// <summary>A config commit asked for from chat (delivery.commit): deploy, promote or rollback.</summary>
public sealed record ChangeCommit(long Seq, string Action, string App, string Environment, string Version, string Commit, DateTimeOffset At);

/// <summary>An incident as the incidents module records it (incident.* entries), folded into one record.</summary>
public sealed class Incident(string id)
{
    public string Id { get; } = id;
    public string Title { get; set; } = "";
    public string Severity { get; set; } = "";
    public IReadOnlyList<string> Apps { get; set; } = [];
    public string? Environment { get; set; }
    public DateTimeOffset Opened { get; set; }
    /// <summary>When it was last resolved; null while open (a reopen clears it).</summary>
    public DateTimeOffset? Resolved { get; set; }
    public DateTimeOffset? Acknowledged { get; set; }

    public bool OpenAt(DateTimeOffset t) => Opened <= t && (Resolved is null || Resolved > t);
}
