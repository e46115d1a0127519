namespace Capstan.Flow.Versioning;

/// <summary>A candidate version found by one strategy, with the commit it counts from and the increment to apply.</summary>
internal sealed record BaseVersion(string Source, SemanticVersion Version, int? SourceCommit, VersionField Increment, string? Label, SemanticVersion? Alternative = null)
{
    public SemanticVersion Incremented => Version.Increment(Increment, Label, force: false, Alternative);
}

/// <summary>A branch whose configuration applies to the current branch (itself, or the branch it inherits from).</summary>
internal sealed record EffectiveBranch(EffectiveConfiguration Configuration, BranchTip Branch);

/// <summary>A candidate after its increment, tied to the branch configuration that produced it.</summary>
internal sealed record NextVersion(SemanticVersion Incremented, BaseVersion Base, EffectiveBranch Effective);
