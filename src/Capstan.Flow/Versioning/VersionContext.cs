using LibGit2Sharp;

namespace Capstan.Flow.Versioning;

/// <summary>A version tag: its name, the commit it points at and the version it spells.</summary>
internal sealed record TaggedVersion(string Tag, int Commit, SemanticVersion Version);

/// <summary>A local branch and the commit at its tip.</summary>
internal sealed record BranchTip(string Name, int Tip);

/// <summary>Everything one version calculation reads from the repository, loaded once.</summary>
internal sealed class VersionContext : IDisposable
{
    public required Repository Repository { get; init; }
    public required CommitGraph Graph { get; init; }
    public required VersionConfiguration Configuration { get; init; }
    public required BranchTip Current { get; init; }
    public required IReadOnlyList<BranchTip> Branches { get; init; }
    public required IReadOnlyList<TaggedVersion> Tags { get; init; }
    public required ILookup<int, TaggedVersion> TagsByCommit { get; init; }

    public int CurrentCommit => Current.Tip;

    /// <summary>Releases the files a graph read from git's commit-graph file keeps mapped.</summary>
    public void Dispose() => Graph.Dispose();
    public DateTimeOffset CurrentWhen => Graph.When(Current.Tip);

    public static VersionContext Load(Repository repository, VersionConfiguration configuration, string? branchName, RefSnapshot refs, string? graphFile = null)
    {
        string currentName;
        if (branchName is null)
        {
            if (repository.Info.IsHeadDetached)
                throw new FlowException("HEAD is detached, so there is no branch to compute a version for. Check out a branch or pass --branch NAME.");
            if (repository.Info.IsHeadUnborn)
                throw new FlowException("The repository has no commits yet. Make a first commit, then ask for the version again.");
            currentName = repository.Head.FriendlyName;
        }
        else
        {
            currentName = branchName;
        }
        if (!refs.Branches.ContainsKey(currentName))
            throw new FlowException($"There is no local branch '{currentName}'. Known branches: {string.Join(", ", refs.Branches.Keys.Order(StringComparer.Ordinal))}.");

        var tagObjects = new List<(string Name, string Commit, SemanticVersion Version)>();
        foreach (var (name, commit) in refs.Tags)
            if (SemanticVersion.TryParse(name, configuration.TagPrefix, out var v))
                tagObjects.Add((name, commit, v));
        var tips = refs.Branches.Values.Concat(tagObjects.Select(t => t.Commit));
        var graph = CommitGraph.Load(repository, tips, graphFile);
        var branches = refs.Branches.Where(b => graph.IndexOf(b.Value) is not null)
            .Select(b => new BranchTip(b.Key, graph.IndexOf(b.Value)!.Value)).ToList();
        var tags = tagObjects.Where(t => graph.IndexOf(t.Commit) is not null)
            .Select(t => new TaggedVersion(t.Name, graph.IndexOf(t.Commit)!.Value, t.Version)).ToList();
        return new VersionContext
        {
            Repository = repository,
            Graph = graph,
            Configuration = configuration,
            Current = branches.First(b => b.Name == currentName),
            Branches = branches,
            Tags = tags,
            TagsByCommit = tags.ToLookup(t => t.Commit),
        };
    }
}
