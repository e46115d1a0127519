using System.Security.Cryptography;
using System.Text;
using Capstan.Delivery.Apps;

namespace Capstan.Delivery.Targets;

/// <summary>
/// Where apps run. The reconciler only talks to this interface: the built-in process supervisor is one
/// target; a Kubernetes target plugs in behind the same calls.
/// </summary>
public interface ITarget
{
    /// <summary>The target's kind, for status and the ledger ("process", "kubernetes").</summary>
    string Kind { get; }

    /// <summary>Finds what already runs (after a restart) so nothing is started twice.</summary>
    Task AdoptAsync(CancellationToken ct);

    /// <summary>What runs for a slot now, from the target's own bookkeeping (cheap; no I/O).</summary>
    LiveInstance? Live(Slot slot);

    /// <summary>Every slot that has something running or recorded.</summary>
    IReadOnlyCollection<Slot> Slots { get; }

    /// <summary>Starts the release, waits until it is healthy, then retires what ran before; on failure the old one keeps running.</summary>
    Task<DeployOutcome> DeployAsync(Release release, Action<string>? progress, CancellationToken ct);

    /// <summary>Stops and forgets everything of a slot (the app was removed from the environment).</summary>
    Task RemoveAsync(Slot slot, CancellationToken ct);

    /// <summary>Checks the health of what runs for a slot now.</summary>
    Task<HealthReading> ProbeAsync(Slot slot, HealthSpec health, CancellationToken ct);

    /// <summary>The last lines the slot's processes wrote.</summary>
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
/// What runs for a slot: version, identity, address, and whether it is still running. <paramref name="Parked"/>: Capstan
/// itself stopped it when it stopped, so the next start resumes it (not drift, not a new deployment).
/// </summary>
public sealed record LiveInstance(Slot Slot, string Version, string SpecHash, string Commit, int Pid, int Port, DateTimeOffset StartedAt, bool Running, string? Ended = null, bool Parked = false)
{
    public string Key => $"{Version}@{SpecHash}";
    public string Url => $"http://127.0.0.1:{Port}";
}

/// <summary>Health as Argo CD users know it.</summary>
public enum HealthState { Healthy, Progressing, Degraded, Missing, Unknown }

/// <summary>Sync as Argo CD users know it, plus Failed for a change whose apply failed.</summary>
public enum SyncState { Synced, OutOfSync, Progressing, Failed }

/// <summary>A health check's verdict and what it saw ("GET /healthz → 503: not ready").</summary>
public sealed record HealthReading(HealthState State, string Detail);

/// <summary>How a deploy on the target ended.</summary>
public sealed record DeployOutcome(bool Healthy, string Detail, LiveInstance? Instance, TimeSpan Took);

/// <summary>Something ran differently from what Capstan left it doing.</summary>
public sealed record DriftNotice(Slot Slot, LiveInstance Instance, string What);
