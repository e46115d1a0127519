namespace Capstan.Flow.Versioning;

/// <summary>The GitFlow/v1 strategies that propose base versions: next-version, merge messages, tags, release branches, branch names, fallback.</summary>
internal sealed class VersionStrategies(VersionContext context, IncrementFinder increments, BranchAncestry ancestry)
{
    private VersionConfiguration Config => context.Configuration;
    private CommitGraph Graph => context.Graph;

    public IEnumerable<BaseVersion> All(EffectiveBranch branch)
    {
        var any = false;
        foreach (var v in ConfiguredNextVersion(branch).Concat(MergeMessages(branch)).Concat(TaggedCommits(branch))
                     .Concat(TrackReleaseBranches(branch)).Concat(VersionInBranchName(branch)))
        {
            any = true;
            yield return v;
        }
        if (!any)
            foreach (var v in Fallback(branch)) yield return v;
    }

    private string? Label(EffectiveBranch b, string? nameOverride = null) => b.Configuration.LabelFor(context.Current.Name, nameOverride);

    public bool IsCurrentCommitTagged => context.TagsByCommit[context.CurrentCommit].Any();

    private IEnumerable<BaseVersion> ConfiguredNextVersion(EffectiveBranch b)
    {
        if (string.IsNullOrEmpty(Config.NextVersion) || IsCurrentCommitTagged) yield break;
        if (!SemanticVersion.TryParse(Config.NextVersion, Config.TagPrefix, out var v, loose: true))
            throw new FlowException($"next-version '{Config.NextVersion}' in GitVersion.yml is not a version. Write it like 1.2.0.");
        yield return new BaseVersion("NextVersion in GitVersion configuration file", v with { BuildMetadata = null }, null, VersionField.None, Label(b));
    }

    private IEnumerable<BaseVersion> MergeMessages(EffectiveBranch b)
    {
        if (!b.Configuration.TrackMergeMessage) yield break;
        var found = 0;
        foreach (var c in Graph.MergesNewestFirst(context.CurrentCommit))
        {
            var parents = Graph.Parents(c);
            var mm = MergeMessage.Parse(Graph.Message(c), Config);
            if (mm?.Version is null || !Config.IsReleaseBranch(mm.MergedBranch)) continue;
            var mergeBase = Graph.MergeBase(parents[0], parents[1]);
            var label = Label(b);
            var inc = b.Configuration.PreventIncrementOfMergedBranch ? VersionField.None : increments.Determine(mergeBase, true, b.Configuration, label);
            yield return new BaseVersion($"Merge message '{Graph.Message(c).Trim()}' ({Graph.Sha(c)[..7]})", mm.Version, null, inc, label);
            if (++found == 5) yield break;
        }
    }

    /// <summary>Version tags visible to the current branch under <paramref name="configuration"/>, keyed by the commit they count for, newest first.</summary>
    public List<(int Key, TaggedVersion Tag)> VisibleTags(EffectiveConfiguration configuration, string? label)
    {
        var entries = new List<(int Key, TaggedVersion Tag)>();
        var onBranch = Graph.Ancestors(context.CurrentCommit);
        foreach (var t in context.Tags)
            if (onBranch[t.Commit]) entries.Add((t.Commit, t));
        if (configuration.TrackMergeTarget)
            foreach (var t in context.Tags)
                foreach (var p in Graph.Parents(t.Commit))
                    if (onBranch[p]) entries.Add((p, t));
        var current = context.CurrentWhen;
        entries.RemoveAll(e => Graph.When(e.Key) > current);
        // GitVersion 6.8.2 applies "not newer than the current commit" to the branch's own tags only,
        // not to the tags it borrows from main and release branches.
        if (!configuration.IsMainBranch && !configuration.IsReleaseBranch)
            AddTagsOf(entries, context.Branches.Where(x => Config.IsMainBranch(x.Name)));
        if (configuration.TracksReleaseBranches)
            AddTagsOf(entries, context.Branches.Where(x => Config.IsReleaseBranch(x.Name)));
        // Distinct, in order of first appearance; then newest first (stable); then grouped by key in order of first
        // appearance, as a lookup does. Sorted as index arrays: at 20,000 tags LINQ's buffers were 30 MB a call.
        var unique = new HashSet<(int Key, TaggedVersion Tag)>();
        var filtered = new List<(int Key, TaggedVersion Tag)>();
        foreach (var e in entries)
            if (e.Tag.Version.MatchesLabel(label) && unique.Add(e)) filtered.Add(e);
        var count = filtered.Count;
        var ticks = new long[count];
        var byDate = new int[count];
        for (var i = 0; i < count; i++) (ticks[i], byDate[i]) = (Graph.When(filtered[i].Key).UtcTicks, i);
        Array.Sort(byDate, (a, b) => ticks[b] != ticks[a] ? ticks[b].CompareTo(ticks[a]) : a.CompareTo(b));
        var firstAt = new Dictionary<int, int>();
        var group = new int[count];
        for (var p = 0; p < count; p++)
        {
            firstAt.TryAdd(filtered[byDate[p]].Key, p);
            group[p] = firstAt[filtered[byDate[p]].Key];
        }
        var positions = new int[count];
        for (var p = 0; p < count; p++) positions[p] = p;
        Array.Sort(positions, (a, b) => group[a] != group[b] ? group[a].CompareTo(group[b]) : a.CompareTo(b));
        var result = new List<(int Key, TaggedVersion Tag)>(count);
        foreach (var p in positions) result.Add(filtered[byDate[p]]);
        return result;
    }

    private void AddTagsOf(List<(int Key, TaggedVersion Tag)> entries, IEnumerable<BranchTip> branches)
    {
        foreach (var br in branches)
        {
            if (br.Name == context.Current.Name) continue;
            var reach = Graph.Ancestors(br.Tip);
            foreach (var t in context.Tags)
                if (reach[t.Commit]) entries.Add((t.Commit, t));
        }
    }

    private IEnumerable<BaseVersion> TaggedCommits(EffectiveBranch b)
    {
        var tags = VisibleTags(b.Configuration, null).Select(e => e.Tag).Distinct().ToList();
        var label = Label(b);
        var threshold = SemanticVersion.Zero;
        var alternatives = new List<SemanticVersion>();
        foreach (var tag in tags)
        {
            var v = tag.Version with { BuildMetadata = null };
            if (!v.MatchesLabel(label))
            {
                alternatives.Add(v);
                continue;
            }
            var alternativeMax = alternatives.Count == 0 ? null : alternatives.Max();
            var highest = v.Increment(VersionField.Major, null, force: true, alternativeMax);
            if (highest.IsLessThan(threshold, includePreRelease: false))
            {
                alternatives.Clear();
                continue;
            }
            var inc = increments.Determine(tag.Commit, true, b.Configuration, label);
            threshold = v.Increment(inc, null, force: true);
            yield return new BaseVersion($"Git tag '{tag.Tag}' ({Graph.Sha(tag.Commit)[..7]})", v, tag.Commit, inc, label, alternativeMax);
            alternatives.Clear();
        }
    }

    private IEnumerable<BaseVersion> TrackReleaseBranches(EffectiveBranch b)
    {
        if (!b.Configuration.TracksReleaseBranches) yield break;
        foreach (var release in context.Branches.Where(x => Config.IsReleaseBranch(x.Name)))
        {
            if (release.Name == context.Current.Name) continue;
            var releaseConfig = EffectiveConfiguration.Resolve(Config, Config.ForBranch(release.Name));
            if (!releaseConfig.IsReleaseBranch || !BranchNameVersion.TryParse(release.Name, Config, out var v, out _)) continue;
            var source = ancestry.MergeBaseOf(release, context.Current);
            var label = Label(b);
            var inc = increments.Determine(source, true, b.Configuration, label);
            yield return new BaseVersion($"Release branch exists -> Version in branch name '{release.Name}'", v, source, inc, label);
        }
    }

    private IEnumerable<BaseVersion> VersionInBranchName(EffectiveBranch b)
    {
        if (!b.Configuration.IsReleaseBranch) yield break;
        foreach (var name in new[] { context.Current.Name, b.Branch.Name }.Distinct())
        {
            if (!BranchNameVersion.TryParse(name, Config, out var v, out var rest)) continue;
            string? nameOverride = null;
            if (!string.IsNullOrEmpty(rest) && (name == context.Current.Name || !Config.ForBranch(context.Current.Name).LabelSet))
                nameOverride = rest;
            yield return new BaseVersion($"Version in branch name '{name}'", v, null, VersionField.None, Label(b, nameOverride));
            yield break;
        }
    }

    private IEnumerable<BaseVersion> Fallback(EffectiveBranch b)
    {
        var label = Label(b);
        int? source = VisibleTags(b.Configuration, label).Select(e => (int?)e.Key).FirstOrDefault();
        var inc = increments.Determine(source, true, b.Configuration, label);
        yield return new BaseVersion("Fallback base version", SemanticVersion.Zero, source, inc, label);
    }
}
