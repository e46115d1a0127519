namespace Capstan.Core.Leadership;

/// <summary>
/// Whether this process leads the deployment: the work that must run once per deployment (the reconciler, approval
/// expiry, escalations and the notification queue, digests, chat adapters) runs only on the leader. A single node
/// always leads (<see cref="SoloLeadership"/>); replicas sharing a database elect one (a later issue).
/// </summary>
public interface ILeadership
{
    /// <summary>True while this process leads.</summary>
    bool IsLeader { get; }

    /// <summary>
    /// Returns once this process leads, with a token that is cancelled when it stops leading (never, for a single node).
    /// Throws <see cref="OperationCanceledException"/> when <paramref name="ct"/> is cancelled first.
    /// </summary>
    Task<CancellationToken> WaitUntilLeaderAsync(CancellationToken ct);
}

/// <summary>A single node: always the leader.</summary>
public sealed class SoloLeadership : ILeadership
{
    public bool IsLeader => true;

    public Task<CancellationToken> WaitUntilLeaderAsync(CancellationToken ct) =>
        ct.IsCancellationRequested ? Task.FromCanceled<CancellationToken>(ct) : Task.FromResult(CancellationToken.None);
}

/// <summary>How a background loop runs only while its process leads.</summary>
public static class LeaderWork
{
    /// <summary>
    /// Runs <paramref name="work"/> each time this process becomes the leader, with a token cancelled when Capstan stops
    /// or leadership is lost; returns when Capstan stops or the work ends by itself. Work that ends because leadership
    /// was lost waits to lead again.
    /// </summary>
    public static async Task WhileLeaderAsync(this ILeadership leadership, Func<CancellationToken, Task> work, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            CancellationToken lost;
            try { lost = await leadership.WaitUntilLeaderAsync(stopping); }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested) { return; }
            using var lead = CancellationTokenSource.CreateLinkedTokenSource(stopping, lost);
            try { await work(lead.Token); }
            catch (OperationCanceledException) when (lead.IsCancellationRequested) { /* stopped or lost the lead: decided below */ }
            if (!lost.IsCancellationRequested) return;
        }
    }
}
