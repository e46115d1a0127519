using System.Collections.Concurrent;

namespace Capstan.Flow.Versioning;

/// <summary>
/// Decodes commits on a second thread ahead of the walk that orders them. Inflating each commit is most of a cold
/// read, and the date-ordered walk cannot be split, but which commits it will need can be guessed: this thread goes
/// depth first from the tips, and from wherever the walk had to decode a commit itself. Each commit is decoded once,
/// by whichever thread claims it first; <see cref="TryTake"/> hands over the result or waits for one in progress.
/// </summary>
internal sealed class CommitPrefetch : IDisposable
{
    private readonly ConcurrentDictionary<string, byte> claimed = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CommitDecoder.DecodedCommit?> decoded = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> hints = new();
    private readonly CommitDecoder decoder;
    private readonly Thread thread;
    private volatile bool stopping;

    private CommitPrefetch(CommitDecoder decoder, IReadOnlyList<string> tips)
    {
        this.decoder = decoder;
        thread = new Thread(() => Run(tips)) { IsBackground = true, Name = "commit prefetch" };
        thread.Start();
    }

    /// <summary>A prefetching thread, or null on a single core (where it would only compete with the walk).</summary>
    public static CommitPrefetch? TryStart(GitObjects.ObjectFiles objects, IReadOnlyList<string> tips)
    {
        if (Environment.ProcessorCount < 2) return null;
        return new CommitPrefetch(CommitDecoder.Create(objects), tips);
    }

    /// <summary>
    /// The commit decoded by this thread (waiting while it is being decoded), or false when the walk has it to itself:
    /// it must then decode it and <see cref="Hint"/> at its parents.
    /// </summary>
    public bool TryTake(string sha, out CommitDecoder.DecodedCommit? commit)
    {
        commit = null;
        if (claimed.TryAdd(sha, 0)) return false;
        var wait = new SpinWait();
        while (!decoded.TryRemove(sha, out commit)) wait.SpinOnce();
        return true;
    }

    /// <summary>Commits the walk will soon need: where to go on when this thread has nothing else to do.</summary>
    public void Hint(string[] shas)
    {
        foreach (var sha in shas) hints.Enqueue(sha);
    }

    private void Run(IReadOnlyList<string> tips)
    {
        var stack = new Stack<string>(tips.Count);
        for (var i = tips.Count - 1; i >= 0; i--) stack.Push(tips[i]);
        var idle = new SpinWait();
        while (!stopping)
        {
            if (!stack.TryPop(out var sha) && !hints.TryDequeue(out sha))
            {
                idle.SpinOnce();
                continue;
            }
            if (!claimed.TryAdd(sha, 0)) continue;
            CommitDecoder.DecodedCommit? commit;
            try { commit = decoder.Decode(sha); }
            catch (Exception) { commit = null; } // the walk sees it as unreadable and asks git
            decoded[sha] = commit;
            if (commit is null) continue;
            // First parents first: the long lines of history are where running ahead pays.
            var parents = commit.Commit.Parents;
            for (var i = parents.Length - 1; i >= 0; i--) stack.Push(parents[i]);
            idle = new SpinWait();
        }
    }

    public void Dispose()
    {
        stopping = true;
        thread.Join();
        decoder.Dispose();
    }
}
