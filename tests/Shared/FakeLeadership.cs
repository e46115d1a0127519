using Capstan.Core.Leadership;

namespace Capstan.Testing;

/// <summary>
/// A leadership the test hands out and takes back: not the leader until <see cref="Lead"/>, and no longer once
/// <see cref="Lose"/> is called. <see cref="AskedAsync"/> tells the test a loop is parked waiting to lead.
/// </summary>
public sealed class FakeLeadership : ILeadership
{
    private readonly object _gate = new();
    private TaskCompletionSource<CancellationToken> _lead = New<CancellationToken>();
    private CancellationTokenSource? _term;
    private int _asked;
    private TaskCompletionSource _askedSignal = New();

    public bool IsLeader { get { lock (_gate) return _term is not null; } }

    /// <summary>How many times a loop has asked to lead.</summary>
    public int Asked => Volatile.Read(ref _asked);

    public async Task<CancellationToken> WaitUntilLeaderAsync(CancellationToken ct)
    {
        Task<CancellationToken> lead;
        lock (_gate)
        {
            lead = _lead.Task;
            Interlocked.Increment(ref _asked);
            _askedSignal.TrySetResult();
        }
        return await lead.WaitAsync(ct);
    }

    /// <summary>Waits (up to <paramref name="within"/>) until a loop has asked to lead at least <paramref name="times"/> times.</summary>
    public async Task AskedAsync(int times, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (Asked < times)
        {
            Task next;
            lock (_gate)
            {
                if (Asked >= times) return;
                if (_askedSignal.Task.IsCompleted) _askedSignal = New();
                next = _askedSignal.Task;
            }
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || await Task.WhenAny(next, Task.Delay(left)) != next)
                throw new TimeoutException($"no loop asked to lead {times} time(s) within {within.TotalSeconds:0}s (asked {Asked})");
        }
    }

    /// <summary>This process becomes the leader: every waiting loop runs.</summary>
    public void Lead()
    {
        lock (_gate)
        {
            _term = new CancellationTokenSource();
            _lead.TrySetResult(_term.Token);
        }
    }

    /// <summary>This process stops leading: running loops are cancelled and wait to lead again.</summary>
    public void Lose()
    {
        CancellationTokenSource? term;
        lock (_gate)
        {
            term = _term;
            _term = null;
            _lead = New<CancellationToken>();
        }
        term?.Cancel();
    }

    private static TaskCompletionSource<T> New<T>() => new(TaskCreationOptions.RunContinuationsAsynchronously);
    private static TaskCompletionSource New() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
