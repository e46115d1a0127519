using Capstan.Flow.GitObjects;
using LibGit2Sharp;

namespace Capstan.Flow.Versioning;

/// <summary>
/// Names, messages and zones of a graph read from git's commit-graph file (<see cref="GitGraphHistory"/>), looked up when a
/// rule asks rather than held: a name is hex of the file's entry, a message and a zone come from the commit object
/// (from git, one commit, where the object reader cannot promise git's answer). Holds the mapped files until disposed.
/// </summary>
internal sealed class GitGraphCommits(Repository repository, ObjectFiles objects, GitCommitGraph file,
    List<CommitGraph.CommitRecord> fresh, int[] order, int[] indexOf) : IDisposable
{
    private readonly byte[] id = new byte[ObjectFiles.IdLength];
    private readonly Dictionary<int, CommitGraph.CommitRecord> read = [];
    private CommitDecoder? decoder;

    /// <summary>The graph these commits belong to, for the parents a git fallback excludes.</summary>
    public CommitGraph? Graph { get; set; }

    public string Sha(int i) => order[i] < fresh.Count ? fresh[order[i]].Sha : Convert.ToHexStringLower(file.Id(order[i] - fresh.Count));

    public int? IndexOf(string sha)
    {
        int node;
        if (sha.Length != 2 * ObjectFiles.IdLength || !CommitDecoder.TryHex(sha, id) || (node = file.Find(id)) < 0)
            node = fresh.FindIndex(c => c.Sha == sha);
        else node += fresh.Count;
        return node >= 0 && indexOf[node] >= 0 ? indexOf[node] : null;
    }

    public string Message(int i) => Record(i).Message;

    public DateTimeOffset CommitTime(int i) => Record(i).When;

    private CommitGraph.CommitRecord Record(int i)
    {
        if (order[i] < fresh.Count) return fresh[order[i]];
        if (read.TryGetValue(i, out var known)) return known;
        var sha = Sha(i);
        decoder ??= CommitDecoder.Create(objects);
        var record = decoder.Decode(sha)?.Commit ?? FromGit(sha, i);
        read[i] = record;
        return record;
    }

    /// <summary>The one commit, as git log prints it: itself, without its parents.</summary>
    private CommitGraph.CommitRecord FromGit(string sha, int i)
    {
        var revisions = new List<string> { sha };
        if (Graph is { } graph)
            foreach (var p in graph.Parents(i)) revisions.Add("^" + Sha(p));
        var commits = CommitGraph.ReadCommits(repository, revisions, throwOnError: true)!;
        return commits.Find(c => c.Sha == sha)
               ?? throw new FlowException($"git did not list commit {sha}. Check that the repository is intact ('git fsck').");
    }

    public void Dispose()
    {
        decoder?.Dispose();
        file.Dispose();
        objects.Dispose();
    }
}
