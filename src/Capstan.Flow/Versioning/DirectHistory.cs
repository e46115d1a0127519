using System.Runtime.InteropServices;
using Capstan.Flow.GitObjects;

namespace Capstan.Flow.Versioning;

/// <summary>
/// Every commit reachable from a set of tips, read from the object files in-process and listed in exactly the order
/// <c>git log</c> prints them: newest committer date first, ties in the order the commits were reached (tips in the
/// order given, then parents in order, each commit the first time one names it). At 100,000 commits this takes a
/// fraction of the time git needs to print them, with a second thread decoding ahead (<see cref="CommitPrefetch"/>).
/// Gives null whenever the result might differ from git's — an object it cannot read, a message in another
/// encoding, a date it cannot parse, a repository layout it does not read (<see cref="ObjectFiles.TryOpen"/>) —
/// and the caller asks git.
/// </summary>
internal static class DirectHistory
{
    /// <param name="gitDirectory">The repository's git folder.</param>
    /// <param name="tips">Where the walk starts, in git's order.</param>
    /// <param name="known">
    /// Commits already read (with all their ancestors): the walk stops at them, so it lists what <c>git log TIPS ^KNOWN</c>
    /// would, in the same order (a commit outside <paramref name="known"/> is only reached through others outside it).
    /// </param>
    public static List<CommitGraph.CommitRecord>? TryRead(string gitDirectory, IEnumerable<string> tips, Func<string, bool>? known = null)
    {
        using var objects = ObjectFiles.TryOpen(gitDirectory);
        if (objects is null) return null;
        using var decoder = CommitDecoder.Create(objects);
        var tipList = tips.ToList();
        // The prefetcher runs ahead through the whole history: worth it only when the whole history is read.
        using var prefetch = known is null ? CommitPrefetch.TryStart(objects, tipList) : null;
        var walk = new Walk(decoder, prefetch, known);
        // git marks every tip seen before it walks, then lists them by date, in the order given on a tie.
        var queue = new PriorityQueue<CommitDecoder.DecodedCommit, (long Date, long Order)>();
        var order = 0L;
        var firstMet = new List<string>(tipList.Count);
        foreach (var tip in tipList)
        {
            var name = tip;
            if (walk.Meet(ref name)) firstMet.Add(name);
        }
        foreach (var tip in firstMet)
        {
            if (walk.Read(tip) is not { } read) return null;
            queue.Enqueue(read, (-read.WalkDate, order++));
        }
        var result = new List<CommitGraph.CommitRecord>();
        while (queue.TryDequeue(out var next, out _))
        {
            result.Add(next.Commit);
            // Parents are met when their child is listed, in order, each the first time any commit names it.
            var parents = next.Commit.Parents;
            for (var i = 0; i < parents.Length; i++)
            {
                if (!walk.Meet(ref parents[i])) continue;
                if (walk.Read(parents[i]) is not { } read) return null;
                queue.Enqueue(read, (-read.WalkDate, order++));
            }
        }
        return result;
    }

    /// <summary>The walk's side: the commits it has met (one string per object name) and reading them with the prefetcher.</summary>
    private sealed class Walk(CommitDecoder decoder, CommitPrefetch? prefetch, Func<string, bool>? known)
    {
        private readonly Dictionary<string, string> met = new(StringComparer.Ordinal);

        /// <summary>
        /// True the first time <paramref name="sha"/> is met (git's SEEN flag); after that, <paramref name="sha"/> is
        /// replaced by the string met first, so each object name is held once.
        /// </summary>
        public bool Meet(ref string sha)
        {
            if (known is not null && known(sha)) return false;
            ref var first = ref CollectionsMarshal.GetValueRefOrAddDefault(met, sha, out var metBefore);
            if (metBefore)
            {
                sha = first!;
                return false;
            }
            first = sha;
            return true;
        }

        /// <summary>The commit, or null when it cannot be read exactly as git would.</summary>
        public CommitDecoder.DecodedCommit? Read(string sha)
        {
            if (prefetch is not null && prefetch.TryTake(sha, out var taken)) return taken;
            var commit = decoder.Decode(sha);
            if (commit is not null) prefetch?.Hint(commit.Commit.Parents);
            return commit;
        }
    }
}
