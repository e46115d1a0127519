using System.Globalization;
using System.Text.RegularExpressions;

namespace Capstan.Flow.Versioning;

/// <summary>Runs GitVersion 6's next-version calculation for the GitFlow/v1 workflow over a loaded context.</summary>
internal sealed class VersionEngine(VersionContext context)
{
    private readonly IncrementFinder increments = new(context);
    private readonly BranchAncestry ancestry = new(context);
    private CommitGraph Graph => context.Graph;
    private int ownPreReleaseWeight;

    public VersionExplanation Run(int uncommittedChanges)
    {
        var strategies = new VersionStrategies(context, increments, ancestry);
        var raw = context.Configuration.ForBranch(context.Current.Name);
        var own = EffectiveConfiguration.Resolve(context.Configuration, raw);
        // GitVersion weighs the pre-release number with the branch's own configuration, not the one it inherits
        // (a branch matching "unknown" has no weight of its own, so 0, even when it inherits main's 55000).
        ownPreReleaseWeight = own.PreReleaseWeight;
        var inherits = raw.Increment == IncrementStrategy.Inherit;
        var tagged = strategies.IsCurrentCommitTagged;

        if (tagged && !inherits && own.PreventIncrementWhenCurrentCommitTagged
            && TaggedVersion(strategies, own) is { } direct)
            return Shortcut(direct, own, uncommittedChanges);

        var effective = ancestry.EffectiveBranches(context.Current, null, []).ToList();
        if (effective.Count == 0)
            throw new FlowException($"No branch that '{context.Current.Name}' could have been cut from exists (for example develop or main), so its version cannot be inherited. Create or fetch that branch first.");
        var candidates = new List<(NextVersion Next, VersionCandidate View)>();
        foreach (var e in effective)
        {
            foreach (var b in strategies.All(e))
            {
                var next = new NextVersion(b.Incremented, b, e);
                candidates.Add((next, new VersionCandidate(b.Source, b.Version.ToString(), b.Increment.ToString(), next.Incremented.ToString(),
                    b.SourceCommit is { } s ? Graph.Sha(s) : null, e.Branch.Name)));
            }
        }
        if (candidates.Count == 0)
            throw new FlowException($"No version could be determined for '{context.Current.Name}'. Tag a commit with a version such as 1.0.0, then try again.");

        var (max, source) = Choose(candidates.Select(c => c.Next).ToList());
        var chosenView = candidates.First(c => ReferenceEquals(c.Next, max)).View;

        if (tagged && inherits && max.Effective.Configuration.PreventIncrementWhenCurrentCommitTagged
            && TaggedVersion(strategies, max.Effective.Configuration) is { } inheritedTag)
            return Shortcut(inheritedTag, max.Effective.Configuration, uncommittedChanges);

        var count = Graph.CountBetween(source, context.CurrentCommit);
        var config = max.Effective.Configuration;
        var version = max.Incremented with { BuildMetadata = null };
        int? buildMetaData = null;
        switch (config.Mode)
        {
            case DeploymentMode.ManualDeployment:
                buildMetaData = count;
                break;
            case DeploymentMode.ContinuousDelivery:
                if (!version.PreRelease.HasTag || version.PreRelease.Number is null)
                    throw new FlowException($"Branch '{context.Current.Name}' uses ContinuousDelivery but has no pre-release label. Give it a label in GitVersion.yml or use another mode.");
                version = version with { PreRelease = version.PreRelease with { Number = version.PreRelease.Number + count - 1 } };
                break;
            case DeploymentMode.ContinuousDeployment:
                version = version with { PreRelease = PreReleaseTag.Empty };
                break;
        }

        // A tag on the branch with a higher major.minor.patch than the calculated one wins those three numbers.
        var reach = Graph.Ancestors(max.Effective.Branch.Tip);
        var highestTag = context.Tags.Where(t => reach[t.Commit] && Graph.When(t.Commit) <= context.CurrentWhen)
            .Select(t => t.Version).DefaultIfEmpty().Max();
        if (highestTag is not null && version.IsLessThan(highestTag, includePreRelease: false))
            version = version with { Major = highestTag.Major, Minor = highestTag.Minor, Patch = highestTag.Patch };

        var variables = Variables(version, buildMetaData, count, source is { } s2 ? Graph.Sha(s2) : null, max.Base.Version, config, uncommittedChanges);
        return new VersionExplanation(context.Current.Name, Graph.Sha(context.CurrentCommit),
            effective.Select(e => e.Branch.Name).Distinct().ToList(), candidates.Select(c => c.View).ToList(), chosenView,
            source is { } s3 ? Graph.Sha(s3) : null, count, config.Mode.ToString(), null, variables);
    }

    private (NextVersion Max, int? Source) Choose(List<NextVersion> versions)
    {
        var max = versions[0];
        foreach (var v in versions.Skip(1))
            if (v.Incremented.CompareTo(max.Incremented) > 0) max = v;
        var matching = versions.Where(v => v.Base.SourceCommit is not null && v.Incremented.SameAs(max.Incremented)).ToList();
        if (matching.Count > 1)
        {
            var latest = matching.Aggregate((a, b) => Graph.When(a.Base.SourceCommit!.Value) >= Graph.When(b.Base.SourceCommit!.Value) ? a : b);
            return (latest, latest.Base.SourceCommit);
        }
        IEnumerable<NextVersion> filtered = versions;
        if (!max.Incremented.PreRelease.HasTag) filtered = filtered.Where(v => !v.Base.Version.PreRelease.HasTag);
        var list = filtered.ToList();
        var withSource = list.Where(v => v.Base.SourceCommit is not null)
            .OrderByDescending(v => v.Incremented).ThenByDescending(v => Graph.When(v.Base.SourceCommit!.Value)).FirstOrDefault();
        withSource ??= list.Where(v => v.Base.SourceCommit is null).OrderByDescending(v => v.Incremented).FirstOrDefault();
        return (max, withSource?.Base.SourceCommit ?? max.Base.SourceCommit);
    }

    private SemanticVersion? TaggedVersion(VersionStrategies strategies, EffectiveConfiguration configuration)
    {
        var label = configuration.LabelFor(context.Current.Name);
        return strategies.VisibleTags(configuration, null)
            .Where(e => e.Key == context.CurrentCommit && e.Tag.Version.MatchesLabel(label))
            .Select(e => e.Tag.Version with { BuildMetadata = null }).DefaultIfEmpty().Max();
    }

    private VersionExplanation Shortcut(SemanticVersion tag, EffectiveConfiguration configuration, int uncommittedChanges)
    {
        var version = configuration.Mode == DeploymentMode.ContinuousDeployment ? tag with { PreRelease = PreReleaseTag.Empty } : tag;
        var sha = Graph.Sha(context.CurrentCommit);
        var variables = Variables(version, null, 0, sha, tag, configuration, uncommittedChanges);
        var tagName = context.TagsByCommit[context.CurrentCommit].Select(t => t.Tag).FirstOrDefault() ?? tag.ToString();
        return new VersionExplanation(context.Current.Name, sha, [context.Current.Name], [], null, sha, 0,
            configuration.Mode.ToString(), $"Git tag '{tagName}'", variables);
    }

    private VersionVariables Variables(SemanticVersion version, int? buildMetaData, int count, string? sourceSha, SemanticVersion sourceVersion,
        EffectiveConfiguration configuration, int uncommittedChanges)
    {
        var pre = version.PreRelease;
        var sha = Graph.Sha(context.CurrentCommit);
        var branch = context.Current.Name;
        var semVer = version.ToString();
        var fullBuild = (buildMetaData is { } b ? b.ToString(CultureInfo.InvariantCulture) + "." : "")
                        + "Branch." + Regex.Replace(branch, "[^0-9A-Za-z.-]", "-") + ".Sha." + sha;
        long? number = pre.HasTag ? pre.Number : null;
        return new VersionVariables
        {
            AssemblySemFileVer = $"{version.MajorMinorPatch}.0",
            AssemblySemVer = $"{version.MajorMinorPatch}.0",
            BranchName = branch,
            BuildMetaData = buildMetaData,
            CommitDate = Graph.CommitTime(context.CurrentCommit).ToString(context.Configuration.CommitDateFormat, CultureInfo.InvariantCulture),
            CommitsSinceVersionSource = count,
            EscapedBranchName = Regex.Replace(branch, "[^a-zA-Z0-9]", "-"),
            FullBuildMetaData = fullBuild,
            FullSemVer = buildMetaData is { } m ? $"{semVer}+{m}" : semVer,
            InformationalVersion = $"{semVer}+{fullBuild}",
            Major = version.Major,
            MajorMinorPatch = version.MajorMinorPatch,
            Minor = version.Minor,
            Patch = version.Patch,
            PreReleaseLabel = pre.HasTag ? pre.Name : "",
            PreReleaseLabelWithDash = pre.HasTag && pre.Name.Length > 0 ? "-" + pre.Name : "",
            PreReleaseNumber = number,
            PreReleaseTag = pre.HasTag ? pre.ToString() : "",
            PreReleaseTagWithDash = pre.HasTag ? "-" + pre : "",
            SemVer = semVer,
            Sha = sha,
            ShortSha = sha[..7],
            UncommittedChanges = uncommittedChanges,
            VersionSourceDistance = count,
            VersionSourceIncrement = "None",
            VersionSourceSemVer = sourceVersion.ToString(),
            VersionSourceSha = sourceSha,
            WeightedPreReleaseNumber = number is { } n ? n + ownPreReleaseWeight : context.Configuration.TagPreReleaseWeight,
        };
    }
}
