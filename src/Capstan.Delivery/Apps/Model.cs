using Capstan.Core;

namespace Capstan.Delivery.Apps;

/// <summary>One app in one environment: the unit the reconciler keeps in sync.</summary>
public readonly record struct Slot(string App, string Environment)
{
    public override string ToString() => $"{App} in {Environment}";
}

/// <summary>An app as declared in <c>apps/APP.yaml</c>: how to run each version and how to tell it is healthy.</summary>
public sealed record AppSpec(string Name, string Description, RunSpec Run, HealthSpec Health, IReadOnlyDictionary<string, VersionSpec> Versions, string File)
{
    /// <summary>Versions in semantic-version order, oldest first.</summary>
    public IReadOnlyList<string> VersionOrder => Versions.Keys.OrderBy(v => v, SemanticVersionOrder.Instance).ToList();
}

/// <summary>How the process target starts a version: argv (never a shell), extra environment variables, stop grace.</summary>
public sealed record RunSpec(IReadOnlyList<string> Command, IReadOnlyDictionary<string, string> Environment, TimeSpan StopTimeout);

/// <summary>How health is judged: HTTP GET of <see cref="Path"/> expecting a status (or process liveness when Path is null), within a deadline.</summary>
public sealed record HealthSpec(string? Path, int ExpectStatus, TimeSpan Timeout, TimeSpan Deadline, TimeSpan Interval)
{
    public static readonly HealthSpec Default = new("/healthz", 200, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5));
}

/// <summary>One deployable version of an app, with its artifact (a local path or a URL pinned by sha256) when it has one.</summary>
public sealed record VersionSpec(string Version, string? Artifact, string? Sha256, string? Note);

/// <summary>The version an environment should run, from <c>environments/ENV/APP.yaml</c>.</summary>
public sealed record DesiredVersion(Slot Slot, string Version, string File);

/// <summary>What an environment's policy says the reconciler may do on its own, and the target its apps run on.</summary>
public sealed record EnvironmentPolicy(string Name, bool Protected, string? Room, bool AutoRollback, bool SelfHeal, string Target = Targets.TargetRegistry.Default);

/// <summary>A freeze on an environment: deploys from chat are refused until someone unlocks it.</summary>
public sealed record EnvironmentLock(string Environment, string By, string Reason, DateTimeOffset At, string File);

/// <summary>Settings under <c>delivery:</c> in capstan.yaml.</summary>
public sealed record DeliverySettings(TimeSpan ApprovalTimeout)
{
    public static readonly DeliverySettings Default = new(TimeSpan.FromHours(1));
}

/// <summary>Everything the delivery module reads from one config commit.</summary>
public sealed record DeliveryConfig(
    IReadOnlyDictionary<string, AppSpec> Apps,
    IReadOnlyDictionary<Slot, DesiredVersion> Desired,
    IReadOnlyDictionary<string, EnvironmentLock> Locks,
    IReadOnlyDictionary<string, EnvironmentPolicy> Environments,
    DeliverySettings Settings)
{
    public static readonly DeliveryConfig Empty = new(
        new Dictionary<string, AppSpec>(), new Dictionary<Slot, DesiredVersion>(), new Dictionary<string, EnvironmentLock>(),
        new Dictionary<string, EnvironmentPolicy>(), DeliverySettings.Default);

    public EnvironmentPolicy Policy(string environment) =>
        Environments.TryGetValue(environment, out var p) ? p : new EnvironmentPolicy(environment, false, null, true, true);

    public string? DesiredVersionOf(Slot slot) => Desired.TryGetValue(slot, out var d) ? d.Version : null;
}
