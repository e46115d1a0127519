namespace Capstan.Flow.Versioning;

/// <summary>The GitVersion GitFlow/v1 configuration, with any overrides read from GitVersion.yml.</summary>
public sealed record VersionConfiguration
{
    public DeploymentMode Mode { get; init; } = DeploymentMode.ContinuousDelivery;
    public string? Label { get; init; } = "{BranchName}";
    public IncrementStrategy Increment { get; init; } = IncrementStrategy.Inherit;
    public string TagPrefix { get; init; } = "[vV]?";
    public string? NextVersion { get; init; }
    public string VersionInBranchPattern { get; init; } = @"(?<version>[vV]?\d+(\.\d+)?(\.\d+)?).*";
    public string MajorVersionBumpMessage { get; init; } = @"\+semver:\s?(breaking|major)";
    public string MinorVersionBumpMessage { get; init; } = @"\+semver:\s?(feature|minor)";
    public string PatchVersionBumpMessage { get; init; } = @"\+semver:\s?(fix|patch)";
    public string NoBumpMessage { get; init; } = @"\+semver:\s?(none|skip)";
    public int TagPreReleaseWeight { get; init; } = 60000;
    public CommitMessageIncrementing CommitMessageIncrementing { get; init; } = CommitMessageIncrementing.Enabled;
    public string CommitDateFormat { get; init; } = "yyyy-MM-dd";
    public IReadOnlyList<BranchConfiguration> Branches { get; init; } = GitFlowBranches();

    /// <summary>The configuration of <paramref name="branchName"/>: the first entry whose regex matches, "unknown" last.</summary>
    public BranchConfiguration ForBranch(string branchName)
    {
        foreach (var b in Branches)
            if (b.Key != "unknown" && b.IsMatch(branchName)) return b;
        return Branches.FirstOrDefault(b => b.Key == "unknown")
               ?? new BranchConfiguration { Key = "unknown", Regex = "(?<BranchName>.+)", Label = "{BranchName}", LabelSet = true };
    }

    public BranchConfiguration? ByKey(string key) => Branches.FirstOrDefault(b => b.Key == key);

    /// <summary>True when <paramref name="branchName"/> is a release or hotfix branch in this configuration.</summary>
    public bool IsReleaseBranch(string branchName) => ForBranch(branchName).IsReleaseBranch == true;

    public bool IsMainBranch(string branchName) => ForBranch(branchName).IsMainBranch == true;

    private static IReadOnlyList<BranchConfiguration> GitFlowBranches() =>
    [
        new() { Key = "develop", Regex = "^dev(elop)?(ment)?$", Mode = DeploymentMode.ContinuousDelivery, Label = "alpha", LabelSet = true,
            Increment = IncrementStrategy.Minor, PreventIncrementWhenCurrentCommitTagged = false, TrackMergeTarget = true, TrackMergeMessage = true,
            SourceBranches = ["main"], TracksReleaseBranches = true, IsReleaseBranch = false, IsMainBranch = false, PreReleaseWeight = 0 },
        new() { Key = "main", Regex = "^master$|^main$", Label = "", LabelSet = true, Increment = IncrementStrategy.Patch,
            PreventIncrementOfMergedBranch = true, TrackMergeTarget = false, TrackMergeMessage = true, SourceBranches = [],
            TracksReleaseBranches = false, IsReleaseBranch = false, IsMainBranch = true, PreReleaseWeight = 55000 },
        new() { Key = "release", Regex = @"^releases?[\/-](?<BranchName>.+)", Mode = DeploymentMode.ManualDeployment, Label = "beta", LabelSet = true,
            Increment = IncrementStrategy.Minor, PreventIncrementOfMergedBranch = true, PreventIncrementWhenCurrentCommitTagged = false,
            TrackMergeTarget = false, SourceBranches = ["main", "support"], TracksReleaseBranches = false, IsReleaseBranch = true,
            IsMainBranch = false, PreReleaseWeight = 30000 },
        new() { Key = "feature", Regex = @"^features?[\/-](?<BranchName>.+)", Mode = DeploymentMode.ManualDeployment, Label = "{BranchName}", LabelSet = true,
            Increment = IncrementStrategy.Inherit, PreventIncrementWhenCurrentCommitTagged = false, TrackMergeMessage = true,
            SourceBranches = ["develop", "main", "release", "support", "hotfix"], IsMainBranch = false, PreReleaseWeight = 30000 },
        new() { Key = "pull-request", Regex = @"^(pull-requests|pull|pr)[\/-](?<Number>\d*)", Mode = DeploymentMode.ContinuousDelivery,
            Label = "PullRequest{Number}", LabelSet = true, Increment = IncrementStrategy.Inherit, PreventIncrementOfMergedBranch = true,
            PreventIncrementWhenCurrentCommitTagged = false, TrackMergeMessage = true,
            SourceBranches = ["develop", "main", "release", "feature", "support", "hotfix"], PreReleaseWeight = 30000 },
        new() { Key = "hotfix", Regex = @"^hotfix(es)?[\/-](?<BranchName>.+)", Mode = DeploymentMode.ManualDeployment, Label = "beta", LabelSet = true,
            Increment = IncrementStrategy.Inherit, PreventIncrementWhenCurrentCommitTagged = false, SourceBranches = ["main", "support"],
            IsReleaseBranch = true, IsMainBranch = false, PreReleaseWeight = 30000 },
        new() { Key = "support", Regex = @"^support[\/-](?<BranchName>.+)", Label = "", LabelSet = true, Increment = IncrementStrategy.Patch,
            PreventIncrementOfMergedBranch = true, TrackMergeTarget = false, SourceBranches = ["main"], TracksReleaseBranches = false,
            IsReleaseBranch = false, IsMainBranch = true, PreReleaseWeight = 55000 },
        new() { Key = "unknown", Regex = "(?<BranchName>.+)", Mode = DeploymentMode.ManualDeployment, Label = "{BranchName}", LabelSet = true,
            Increment = IncrementStrategy.Inherit, PreventIncrementWhenCurrentCommitTagged = true,
            SourceBranches = ["main", "develop", "release", "feature", "pull-request", "hotfix", "support"], IsMainBranch = false },
    ];
}
