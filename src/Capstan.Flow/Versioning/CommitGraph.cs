using LibGit2Sharp;

namespace Capstan.Flow.Versioning;

/// <summary>The commits reachable from a repository's branches and tags, held as integer-indexed arrays for fast walks.</summary>
internal sealed class CommitGraph
{
    private readonly string[] shas;
    private readonly int[][] parents;
    private readonly DateTimeOffset[] when;
    private readonly string[] messages;
    private readonly Dictionary<string, int> index;
    private readonly Dictionary<int, bool[]> ancestorCache = [];
    private readonly Dictionary<(int, int), int?> mergeBaseCache = [];
    private readonly Repository repository;

    private CommitGraph(Repository repository, List<Commit> commits)
    {
        this.repository = repository;
        var n = commits.Count;
        shas = new string[n];
        parents = new int[n][];
        when = new DateTimeOffset[n];
        messages = new string[n];
        index = new Dictionary<string, int>(n, StringComparer.Ordinal);
        for (var i = 0; i < n; i++)
        {
            shas[i] = commits[i].Sha;
            index[shas[i]] = i;
        }
        for (var i = 0; i < n; i++)
        {
            var c = commits[i];
            when[i] = c.Committer.When;
            messages[i] = c.Message;
            parents[i] = c.Parents.Select(p => index.TryGetValue(p.Sha, out var pi) ? pi : -1).Where(pi => pi >= 0).ToArray();
        }
    }

    public int Count => shas.Length;

    public static CommitGraph Load(Repository repository, IEnumerable<Commit> tips)
    {
        var filter = new CommitFilter
        {
            IncludeReachableFrom = tips.Distinct().ToList(),
            SortBy = CommitSortStrategies.Topological | CommitSortStrategies.Time,
        };
        return new CommitGraph(repository, repository.Commits.QueryBy(filter).ToList());
    }

    public int? IndexOf(string sha) => index.TryGetValue(sha, out var i) ? i : null;
    public string Sha(int i) => shas[i];
    public DateTimeOffset When(int i) => when[i];
    public string Message(int i) => messages[i];
    public int[] Parents(int i) => parents[i];

    /// <summary>Every commit reachable from <paramref name="tip"/>, itself included.</summary>
    public bool[] Ancestors(int tip)
    {
        if (ancestorCache.TryGetValue(tip, out var cached)) return cached;
        var seen = new bool[shas.Length];
        var stack = new Stack<int>();
        stack.Push(tip);
        seen[tip] = true;
        while (stack.Count > 0)
        {
            var c = stack.Pop();
            foreach (var p in parents[c])
            {
                if (seen[p]) continue;
                seen[p] = true;
                stack.Push(p);
            }
        }
        if (ancestorCache.Count > 64) ancestorCache.Clear();
        ancestorCache[tip] = seen;
        return seen;
    }

    public bool IsAncestor(int ancestor, int of) => Ancestors(of)[ancestor];

    /// <summary>Commits reachable from <paramref name="head"/> and not from <paramref name="source"/>, newest first.</summary>
    public List<int> Between(int? source, int head)
    {
        var inHead = Ancestors(head);
        var inSource = source is { } s ? Ancestors(s) : null;
        var result = new List<int>();
        for (var i = 0; i < inHead.Length; i++)
            if (inHead[i] && (inSource is null || !inSource[i])) result.Add(i);
        return result;
    }

    public int CountBetween(int? source, int head)
    {
        var inHead = Ancestors(head);
        var inSource = source is { } s ? Ancestors(s) : null;
        var count = 0;
        for (var i = 0; i < inHead.Length; i++)
            if (inHead[i] && (inSource is null || !inSource[i])) count++;
        return count;
    }

    /// <summary>Commits reachable from <paramref name="tip"/> ordered newest first by committer date.</summary>
    public List<int> History(int tip) => NewestFirst(Between(null, tip));

    /// <summary>Sorts <paramref name="list"/> newest first by committer date, keeping walk order on ties.</summary>
    public List<int> NewestFirst(List<int> list)
    {
        list.Sort((a, b) =>
        {
            var c = when[b].CompareTo(when[a]);
            return c != 0 ? c : a.CompareTo(b);
        });
        return list;
    }

    public int? MergeBase(int a, int b)
    {
        if (a == b) return a;
        var key = a < b ? (a, b) : (b, a);
        if (mergeBaseCache.TryGetValue(key, out var cached)) return cached;
        var ca = repository.Lookup<Commit>(shas[a]);
        var cb = repository.Lookup<Commit>(shas[b]);
        var mb = repository.ObjectDatabase.FindMergeBase(ca, cb);
        int? result = mb is null ? null : IndexOf(mb.Sha);
        mergeBaseCache[key] = result;
        return result;
    }
}
