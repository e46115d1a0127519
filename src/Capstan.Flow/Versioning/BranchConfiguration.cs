using System.Text.RegularExpressions;

namespace Capstan.Flow.Versioning;

/// <summary>How versions on a branch are published (GitVersion's "mode").</summary>
public enum DeploymentMode
{
    ManualDeployment,
    ContinuousDelivery,
    ContinuousDeployment,
}

/// <summary>The increment a branch applies; Inherit takes the one of the branch it was cut from.</summary>
public enum IncrementStrategy
{
    None,
    Major,
    Minor,
    Patch,
    Inherit,
}

/// <summary>Whether "+semver:" commit messages change the version.</summary>
public enum CommitMessageIncrementing
{
    Enabled,
    Disabled,
    MergeMessageOnly,
}

/// <summary>One branch entry of a GitVersion configuration; unset values come from the parent branch or the global settings.</summary>
public sealed record BranchConfiguration
{
    public required string Key { get; init; }
    public string? Regex { get; init; }
    public DeploymentMode? Mode { get; init; }
    public string? Label { get; init; }
    public bool LabelSet { get; init; }
    public IncrementStrategy Increment { get; init; } = IncrementStrategy.Inherit;
    public bool? PreventIncrementOfMergedBranch { get; init; }
    public bool? PreventIncrementWhenCurrentCommitTagged { get; init; }
    public bool? TrackMergeTarget { get; init; }
    public bool? TrackMergeMessage { get; init; }
    public bool? TracksReleaseBranches { get; init; }
    public bool? IsReleaseBranch { get; init; }
    public bool? IsMainBranch { get; init; }
    public int? PreReleaseWeight { get; init; }
    public CommitMessageIncrementing? CommitMessageIncrementing { get; init; }
    public IReadOnlyList<string>? SourceBranches { get; init; }

    public bool IsMatch(string branchName) =>
        !string.IsNullOrEmpty(Regex) && System.Text.RegularExpressions.Regex.IsMatch(branchName, Regex, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    /// <summary>Fills the values this branch leaves unset from <paramref name="parent"/>.</summary>
    public BranchConfiguration Inherit(BranchConfiguration parent) => this with
    {
        Increment = Increment == IncrementStrategy.Inherit ? parent.Increment : Increment,
        Mode = Mode ?? parent.Mode,
        Label = LabelSet ? Label : parent.Label,
        LabelSet = LabelSet || parent.LabelSet,
        PreventIncrementOfMergedBranch = PreventIncrementOfMergedBranch ?? parent.PreventIncrementOfMergedBranch,
        PreventIncrementWhenCurrentCommitTagged = PreventIncrementWhenCurrentCommitTagged ?? parent.PreventIncrementWhenCurrentCommitTagged,
        TrackMergeTarget = TrackMergeTarget ?? parent.TrackMergeTarget,
        TrackMergeMessage = TrackMergeMessage ?? parent.TrackMergeMessage,
        TracksReleaseBranches = TracksReleaseBranches ?? parent.TracksReleaseBranches,
        IsReleaseBranch = IsReleaseBranch ?? parent.IsReleaseBranch,
        IsMainBranch = IsMainBranch ?? parent.IsMainBranch,
        PreReleaseWeight = PreReleaseWeight ?? parent.PreReleaseWeight,
        CommitMessageIncrementing = CommitMessageIncrementing ?? parent.CommitMessageIncrementing,
        Regex = Regex ?? parent.Regex,
    };
}

/// <summary>A branch configuration with every value resolved against the global settings.</summary>
public sealed record EffectiveConfiguration(
    BranchConfiguration Branch,
    DeploymentMode Mode,
    string? Label,
    VersionField Increment,
    bool PreventIncrementOfMergedBranch,
    bool PreventIncrementWhenCurrentCommitTagged,
    bool TrackMergeTarget,
    bool TrackMergeMessage,
    bool TracksReleaseBranches,
    bool IsReleaseBranch,
    bool IsMainBranch,
    int PreReleaseWeight,
    CommitMessageIncrementing CommitMessageIncrementing)
{
    public static EffectiveConfiguration Resolve(VersionConfiguration global, BranchConfiguration branch) => new(
        branch,
        branch.Mode ?? global.Mode,
        branch.LabelSet ? branch.Label : global.Label,
        (branch.Increment == IncrementStrategy.Inherit ? global.Increment : branch.Increment) switch
        {
            IncrementStrategy.Major => VersionField.Major,
            IncrementStrategy.Minor => VersionField.Minor,
            IncrementStrategy.Patch => VersionField.Patch,
            _ => VersionField.None,
        },
        branch.PreventIncrementOfMergedBranch ?? false,
        branch.PreventIncrementWhenCurrentCommitTagged ?? true,
        branch.TrackMergeTarget ?? false,
        branch.TrackMergeMessage ?? true,
        branch.TracksReleaseBranches ?? false,
        branch.IsReleaseBranch ?? false,
        branch.IsMainBranch ?? false,
        branch.PreReleaseWeight ?? 0,
        branch.CommitMessageIncrementing ?? global.CommitMessageIncrementing);

    /// <summary>The pre-release label for <paramref name="branchName"/>, with {BranchName} and other named groups filled in.</summary>
    public string? LabelFor(string branchName, string? branchNameOverride = null)
    {
        if (Label is null) return null;
        var label = Label;
        var name = branchNameOverride ?? branchName;
        if (!string.IsNullOrEmpty(Branch.Regex))
        {
            var match = System.Text.RegularExpressions.Regex.Match(name, Branch.Regex, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
            if (match.Success)
            {
                foreach (Group g in match.Groups)
                {
                    if (int.TryParse(g.Name, out _)) continue;
                    label = label.Replace("{" + g.Name + "}", Clean(g.Value), StringComparison.Ordinal);
                }
            }
        }
        return label.Replace("{BranchName}", Clean(name), StringComparison.Ordinal);
    }

    private static string Clean(string value) => System.Text.RegularExpressions.Regex.Replace(value, "[^a-zA-Z0-9-]", "-");
}
