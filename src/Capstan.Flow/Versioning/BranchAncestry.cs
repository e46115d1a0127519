namespace Capstan.Flow.Versioning;

/// <summary>Finds where a branch was cut from and which branches it was cut from, the way GitVersion guesses "Inherit" parents.</summary>
internal sealed class BranchAncestry(VersionContext context)
{
    private readonly Dictionary<(string, string), int?> cache = [];
    private CommitGraph Graph => context.Graph;

    /// <summary>The commit where <paramref name="first"/> left <paramref name="second"/>, ignoring merges of one into the other.</summary>
    public int? MergeBaseOf(BranchTip first, BranchTip second)
    {
        if (cache.TryGetValue((first.Name, second.Name), out var cached)) return cached;
        var commit = first.Tip;
        var toFind = second.Tip;
        if (Graph.Parents(toFind).Contains(commit)) toFind = Graph.Parents(toFind)[0];
        var mergeBase = Graph.MergeBase(commit, toFind);
        for (var guard = 0; mergeBase is { } mb && guard < 1000; guard++)
        {
            var forward = Graph.NewestFirst(Graph.Between(mb, toFind)).FirstOrDefault(c => Graph.Parents(c).Contains(mb), -1);
            if (forward < 0) break;
            var next = Graph.Parents(forward)[0];
            var nextBase = Graph.MergeBase(commit, next);
            if (nextBase == mb || nextBase is null) break;
            mergeBase = nextBase;
            toFind = next;
        }
        cache[(first.Name, second.Name)] = mergeBase;
        return mergeBase;
    }

    /// <summary>The branches <paramref name="branch"/> was most likely cut from, per its configured source branches.</summary>
    public List<BranchTip> SourceBranches(BranchTip branch, HashSet<string> excluded)
    {
        var config = context.Configuration;
        var own = config.ForBranch(branch.Name);
        var patterns = own.SourceBranches is null
            ? [".*"]
            : own.SourceBranches.Select(k => config.ByKey(k)?.Regex).Where(r => !string.IsNullOrEmpty(r)).Cast<string>().ToList();
        var candidates = context.Branches
            .Where(b => b.Name != branch.Name && !excluded.Contains(b.Name))
            .Where(b => patterns.Any(p => System.Text.RegularExpressions.Regex.IsMatch(b.Name, p, System.Text.RegularExpressions.RegexOptions.IgnoreCase)))
            .ToList();
        var found = new List<(int Commit, BranchTip Branch)>();
        foreach (var candidate in candidates)
            if (MergeBaseOf(branch, candidate) is { } mb) found.Add((mb, candidate));
        found = found.Select((x, i) => (x, i)).OrderByDescending(t => Graph.When(t.x.Commit)).ThenBy(t => t.i).Select(t => t.x).ToList();

        // A branch point that a later merge brought back into this branch does not count against the others.
        var history = Graph.Ancestors(branch.Tip);
        var ignore = new HashSet<(int, string)>();
        foreach (var f in found)
        {
            for (var c = 0; c < history.Length; c++)
            {
                if (!history[c] || Graph.When(c) <= Graph.When(f.Commit)) continue;
                var parents = Graph.Parents(c);
                if (parents.Length > 1 && parents.Contains(f.Commit)) { ignore.Add((f.Commit, f.Branch.Name)); break; }
            }
        }
        var kept = new List<(int Commit, BranchTip Branch)>(found);
        foreach (var item in found.Skip(1).Reverse().Where(i => !ignore.Contains((i.Commit, i.Branch.Name))))
        {
            foreach (var other in found)
            {
                if (item.Commit == other.Commit) break;
                if (Graph.IsAncestor(item.Commit, other.Branch.Tip)) { kept.Remove(item); break; }
            }
        }

        var result = new List<BranchTip>();
        foreach (var group in kept.GroupBy(k => k.Commit))
        {
            var exact = group.Where(g => g.Branch.Tip == group.Key).Select(g => g.Branch).ToList();
            foreach (var b in exact.Count > 0 ? exact : group.Select(g => g.Branch))
                if (!result.Contains(b)) result.Add(b);
        }
        return result;
    }

    /// <summary>The configurations that apply to <paramref name="branch"/>, following Inherit through its source branches.</summary>
    public IEnumerable<EffectiveBranch> EffectiveBranches(BranchTip branch, BranchConfiguration? child, HashSet<string> traversed)
    {
        if (!traversed.Add(branch.Name)) yield break;
        var config = context.Configuration.ForBranch(branch.Name);
        if (child is not null) config = child.Inherit(config);
        if (config.Increment == IncrementStrategy.Inherit)
        {
            var sources = SourceBranches(branch, traversed);
            if (sources.Count == 0)
            {
                if (context.Configuration.Increment == IncrementStrategy.Inherit) yield break;
            }
            else
            {
                foreach (var source in sources)
                    foreach (var e in EffectiveBranches(source, config, traversed))
                        yield return e;
                yield break;
            }
        }
        yield return new EffectiveBranch(EffectiveConfiguration.Resolve(context.Configuration, config), branch);
    }
}
