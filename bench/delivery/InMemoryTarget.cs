using System.Collections.Concurrent;
using Capstan.Delivery.Apps;
using Capstan.Delivery.Targets;

namespace Capstan.Bench.Delivery;

/// <summary>
/// A target where everything already runs as desired: isolates the reconciler's own cost from process start-up. It
/// stands in for the process target (the environments' default), so it takes that target's name.
/// </summary>
public sealed class InMemoryTarget : ITarget
{
    private readonly ConcurrentDictionary<Slot, LiveState> _live = new();

    public string Kind => Capstan.Delivery.Targets.Process.ProcessTarget.Name;
    public IReadOnlyCollection<Slot> Slots => (IReadOnlyCollection<Slot>)_live.Keys;
    public event Action<DriftNotice>? Drifted { add { } remove { } }

    public void Running(Release r) =>
        _live[r.Slot] = new LiveState(r.Slot, r.Version.Version, r.SpecHash, r.Commit, "http://127.0.0.1:1", new TargetInstance("memory 1", 1), DateTimeOffset.UnixEpoch, true);

    public Task AdoptAsync(CancellationToken ct) => Task.CompletedTask;
    public Task<LiveState?> LiveAsync(Slot slot, CancellationToken ct) => Task.FromResult(_live.GetValueOrDefault(slot));

    public Task<DeployOutcome> DeployAsync(Release release, Action<string>? progress, CancellationToken ct)
    {
        Running(release);
        return Task.FromResult(new DeployOutcome(true, "ok", _live[release.Slot], TimeSpan.Zero));
    }

    public Task RemoveAsync(Slot slot, CancellationToken ct)
    {
        _live.TryRemove(slot, out _);
        return Task.CompletedTask;
    }

    public Task<HealthReading> ProbeAsync(Slot slot, HealthSpec health, CancellationToken ct) => Task.FromResult(new HealthReading(HealthState.Healthy, "ok"));
    public Task<IReadOnlyList<string>> LogsAsync(Slot slot, int lines, CancellationToken ct) => Task.FromResult<IReadOnlyList<string>>([]);
    public Task ShutdownAsync() => Task.CompletedTask;
}
