using LibGit2Sharp;

namespace Capstan.Flow.Versioning;

/// <summary>A version tag: its name, the commit it points at and the version it spells.</summary>
internal sealed record TaggedVersion(string Tag, int Commit, SemanticVersion Version);

/// <summary>A local branch and the commit at its tip.</summary>
internal sealed record BranchTip(string Name, int Tip);

/// <summary>Everything one version calculation reads from the repository, loaded once.</summary>
internal sealed class VersionContext
{
    public required Repository Repository { get; init; }
    public required CommitGraph Graph { get; init; }
    public required VersionConfiguration Configuration { get; init; }
    public required BranchTip Current { get; init; }
    public required IReadOnlyList<BranchTip> Branches { get; init; }
    public required IReadOnlyList<TaggedVersion> Tags { get; init; }
    public required ILookup<int, TaggedVersion> TagsByCommit { get; init; }

    public int CurrentCommit => Current.Tip;
    public DateTimeOffset CurrentWhen => Graph.When(Current.Tip);

    public static VersionContext Load(Repository repository, VersionConfiguration configuration, string? branchName)
    {
        var local = repository.Branches.Where(b => !b.IsRemote && b.Tip is not null).ToList();
        Branch current;
        if (branchName is null)
        {
            if (repository.Info.IsHeadDetached)
                throw new FlowException("HEAD is detached, so there is no branch to compute a version for. Check out a branch or pass --branch NAME.");
            if (repository.Head.Tip is null)
                throw new FlowException("The repository has no commits yet. Make a first commit, then ask for the version again.");
            current = repository.Head;
        }
        else
        {
            current = local.FirstOrDefault(b => b.FriendlyName == branchName)
                      ?? throw new FlowException($"There is no local branch '{branchName}'. Known branches: {string.Join(", ", local.Select(b => b.FriendlyName).Order())}.");
        }

        var tagObjects = new List<(string Name, Commit Commit, SemanticVersion Version)>();
        foreach (var tag in repository.Tags)
        {
            if (tag.PeeledTarget is not Commit commit) continue;
            if (SemanticVersion.TryParse(tag.FriendlyName, configuration.TagPrefix, out var v))
                tagObjects.Add((tag.FriendlyName, commit, v));
        }
        var tips = local.Select(b => b.Tip).Concat(tagObjects.Select(t => t.Commit)).Append(current.Tip);
        var graph = CommitGraph.Load(repository, tips);
        var branches = local.Select(b => new BranchTip(b.FriendlyName, graph.IndexOf(b.Tip.Sha)!.Value)).ToList();
        var tags = tagObjects.Select(t => new TaggedVersion(t.Name, graph.IndexOf(t.Commit.Sha)!.Value, t.Version)).ToList();
        return new VersionContext
        {
            Repository = repository,
            Graph = graph,
            Configuration = configuration,
            Current = new BranchTip(current.FriendlyName, graph.IndexOf(current.Tip.Sha)!.Value),
            Branches = branches,
            Tags = tags,
            TagsByCommit = tags.ToLookup(t => t.Commit),
        };
    }
}
