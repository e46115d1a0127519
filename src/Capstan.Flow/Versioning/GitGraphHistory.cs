using Capstan.Flow.GitObjects;
using LibGit2Sharp;

namespace Capstan.Flow.Versioning;

/// <summary>
/// The commit graph built from git's commit-graph file (<see cref="GitCommitGraph"/>) where the repository has one:
/// parents, dates and levels come from the mapped file, the few commits made since it was written from the object
/// files (<see cref="DirectHistory"/>, stopping at commits the file names), and messages only when a rule reads one.
/// The commits are ordered exactly as <c>git log</c> lists them (newest committer date first, ties in the order they
/// were reached), the order a graph read without the file has, so every rule's tie-break is the same.
/// </summary>
internal static class GitGraphHistory
{
    /// <summary>The graph of every commit reachable from <paramref name="tips"/>, or null when there is no commit-graph file or it cannot be used.</summary>
    public static CommitGraph? TryLoad(Repository repository, IReadOnlyList<string> tips)
    {
        var gitDirectory = repository.Info.Path;
        var objects = ObjectFiles.TryOpen(gitDirectory);
        if (objects is null) return null;
        var file = GitCommitGraph.TryOpen(objects.Folder);
        if (file is null)
        {
            objects.Dispose();
            return null;
        }
        CommitGraph? graph = null;
        try
        {
            graph = Build(repository, objects, file, tips);
            return graph;
        }
        finally
        {
            if (graph is null)
            {
                file.Dispose();
                objects.Dispose();
            }
        }
    }

    private static CommitGraph? Build(Repository repository, ObjectFiles objects, GitCommitGraph file, IReadOnlyList<string> tips)
    {
        var id = new byte[ObjectFiles.IdLength];
        int Position(string sha) => sha.Length == 2 * ObjectFiles.IdLength && CommitDecoder.TryHex(sha, id) ? file.Find(id) : -1;
        // Commits made since the file was written: git log TIPS ^NAMED, read from the object files.
        var fresh = DirectHistory.TryRead(repository.Info.Path, tips, sha => Position(sha) >= 0);
        if (fresh is null) return null;
        var k = fresh.Count;
        var freshIndex = new Dictionary<string, int>(k, StringComparer.Ordinal);
        for (var j = 0; j < k; j++) freshIndex[fresh[j].Sha] = j;
        // Nodes: 0..k-1 the fresh commits, k + p the file's commit at position p.
        int Node(string sha) => freshIndex.TryGetValue(sha, out var j) ? j : Position(sha) is var p and >= 0 ? k + p : -1;
        long Date(int node) => node < k ? fresh[node].When.ToUnixTimeSeconds() : file.Date(node - k);

        var total = k + file.Count;
        var seen = new bool[total];
        var order = new int[total];
        // Each commit's date as the walk met it (its queue priority), so the file's record is read once for it.
        var dates = new long[total];
        var listed = 0;
        var queue = new PriorityQueue<int, (long Date, long Order)>();
        var sequence = 0L;
        // git marks every tip seen before it walks, then lists them by date, in the order given on a tie (as DirectHistory does).
        var firstMet = new List<int>(tips.Count);
        foreach (var tip in tips)
        {
            var node = Node(tip);
            if (node < 0) return null;
            if (seen[node]) continue;
            seen[node] = true;
            firstMet.Add(node);
        }
        foreach (var node in firstMet) queue.Enqueue(node, (-Date(node), sequence++));
        var parents = new List<int>(4);
        var parentCount = 0;
        while (queue.TryDequeue(out var node, out var priority))
        {
            dates[listed] = -priority.Date;
            order[listed++] = node;
            if (!TryParents(node, parents)) return null;
            parentCount += parents.Count;
            foreach (var parent in parents)
            {
                if (seen[parent]) continue;
                seen[parent] = true;
                queue.Enqueue(parent, (-Date(parent), sequence++));
            }
        }

        bool TryParents(int node, List<int> into)
        {
            into.Clear();
            if (node >= k)
            {
                if (!file.TryParents(node - k, into)) return false;
                for (var i = 0; i < into.Count; i++) into[i] += k;
                return true;
            }
            foreach (var sha in fresh[node].Parents)
            {
                var parent = Node(sha);
                if (parent < 0) return false;
                into.Add(parent);
            }
            return true;
        }

        // Graph index by node (-1: not reachable from the tips, left out), and the graph's arrays in that order.
        var indexOf = new int[total];
        Array.Fill(indexOf, -1);
        for (var i = 0; i < listed; i++) indexOf[order[i]] = i;
        Array.Resize(ref order, listed);
        var when = new DateTimeOffset[listed];
        var generation = new int[listed];
        var freshMessages = new Dictionary<int, string>(k);
        var parentStart = new int[listed + 1];
        var parentList = new int[parentCount];
        var at = 0;
        for (var i = 0; i < listed; i++)
        {
            var node = order[i];
            if (node < k)
            {
                when[i] = fresh[node].When;
                freshMessages[i] = fresh[node].Message;
            }
            else
            {
                when[i] = DateTimeOffset.FromUnixTimeSeconds(dates[i]);
                generation[i] = file.Level(node - k); // 0 where the file has none: the graph computes it
            }
            parentStart[i] = at;
            TryParents(node, parents);
            foreach (var parent in parents) parentList[at++] = indexOf[parent];
        }
        parentStart[listed] = at;
        var commits = new GitGraphCommits(repository, objects, file, fresh, order, indexOf);
        var graph = new CommitGraph(commits, parentStart, parentList, when, CommitMessages.Loaded(freshMessages, commits.Message), generation);
        commits.Graph = graph;
        return graph;
    }
}
