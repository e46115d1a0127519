using System.Security.Cryptography;
using System.Text;
using Capstan.Delivery.Apps;

namespace Capstan.Delivery.Targets;

/// <summary>
/// Where apps run. The reconciler only talks to this interface, through <see cref="TargetRegistry"/>: each environment
/// names its target (<c>target: process</c> by default). The built-in process supervisor (<c>Targets/Process/</c>) is
/// one target; a Kubernetes target is another folder behind the same calls. Nothing above a target knows how it runs
/// an app (a process id, a pod): it sees a <see cref="LiveState"/>.
/// </summary>
public interface ITarget
{
    /// <summary>The target's name, as environments name it in capstan.yaml and the ledger records it ("process", "kubernetes").</summary>
    string Kind { get; }

    /// <summary>Finds what already runs (after a restart) so nothing is started twice.</summary>
    Task AdoptAsync(CancellationToken ct);

    /// <summary>What runs for a slot now, as the target sees it; null when nothing runs or is recorded.</summary>
    Task<LiveState?> LiveAsync(Slot slot, CancellationToken ct);

    /// <summary>Every slot that has something running or recorded.</summary>
    IReadOnlyCollection<Slot> Slots { get; }

    /// <summary>Starts the release, waits until it is healthy, then retires what ran before; on failure the old one keeps running.</summary>
    Task<DeployOutcome> DeployAsync(Release release, Action<string>? progress, CancellationToken ct);

    /// <summary>Stops and forgets everything of a slot (the app was removed from the environment).</summary>
    Task RemoveAsync(Slot slot, CancellationToken ct);

    /// <summary>Checks the health of what runs for a slot now.</summary>
    Task<HealthReading> ProbeAsync(Slot slot, HealthSpec health, CancellationToken ct);

    /// <summary>The last lines the slot's app wrote.</summary>
    Task<IReadOnlyList<string>> LogsAsync(Slot slot, int lines, CancellationToken ct);

    /// <summary>Stops watching (Capstan is stopping); what runs keeps running unless configured otherwise.</summary>
    Task ShutdownAsync();

    /// <summary>Raised when something the target runs stops or changes without Capstan asking.</summary>
    event Action<DriftNotice>? Drifted;
}

/// <summary>One version of an app rendered for one environment: what the target should make true.</summary>
public sealed record Release(Slot Slot, AppSpec App, VersionSpec Version, string Commit)
{
    /// <summary>A fingerprint of everything that decides how the version runs; a change to it means a redeploy.</summary>
    public string SpecHash { get; } = Fingerprint(App, Version);

    public string Key => $"{Version.Version}@{SpecHash}";

    private static string Fingerprint(AppSpec app, VersionSpec v)
    {
        var text = new StringBuilder();
        foreach (var a in app.Run.Command) text.Append(a).Append('\u0001');
        foreach (var (k, val) in app.Run.Environment.OrderBy(kv => kv.Key, StringComparer.Ordinal)) text.Append(k).Append('=').Append(val).Append('\u0001');
        text.Append(app.Health).Append('\u0001').Append(v.Version).Append('\u0001').Append(v.Artifact).Append('\u0001').Append(v.Sha256);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..12];
    }
}

/// <summary>
/// What runs for a slot, as its target reports it: version, address, which instance, and whether it is still running.
/// <paramref name="Parked"/>: Capstan itself stopped it when it stopped, so the next start resumes it (not drift, not a
/// new deployment).
/// </summary>
public sealed record LiveState(Slot Slot, string Version, string SpecHash, string Commit, string Url, TargetInstance Instance, DateTimeOffset StartedAt, bool Running, string? Ended = null, bool Parked = false)
{
    public string Key => $"{Version}@{SpecHash}";
}

/// <summary>
/// Which instance runs, in the target's words: <see cref="Name"/> for people ("pid 4242", "pod web-7d9f"), and
/// <see cref="Number"/> when the target numbers its instances (the ledger has recorded it as <c>pid</c> since the first version).
/// </summary>
public sealed record TargetInstance(string Name, long? Number)
{
    public override string ToString() => Name;
}

/// <summary>Health as Argo CD users know it.</summary>
public enum HealthState { Healthy, Progressing, Degraded, Missing, Unknown }

/// <summary>Sync as Argo CD users know it, plus Failed for a change whose apply failed.</summary>
public enum SyncState { Synced, OutOfSync, Progressing, Failed }

/// <summary>A health check's verdict and what it saw ("GET /healthz → 503: not ready").</summary>
public sealed record HealthReading(HealthState State, string Detail);

/// <summary>How a deploy on the target ended.</summary>
public sealed record DeployOutcome(bool Healthy, string Detail, LiveState? Instance, TimeSpan Took);

/// <summary>Something ran differently from what Capstan left it doing.</summary>
public sealed record DriftNotice(Slot Slot, LiveState Instance, string What);
