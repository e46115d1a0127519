using LibGit2Sharp;

namespace Capstan.Flow.GitFlow;

/// <summary>git-flow AVH's settings, stored in the repository's git config under gitflow.*.</summary>
public sealed record FlowConfiguration(
    string MainBranch,
    string DevelopBranch,
    string FeaturePrefix,
    string BugfixPrefix,
    string ReleasePrefix,
    string HotfixPrefix,
    string SupportPrefix,
    string VersionTagPrefix,
    string Origin,
    string HooksPath,
    bool MultiHotfix,
    bool AllowDirty)
{
    public string Prefix(FlowBranchKind kind) => kind switch
    {
        FlowBranchKind.Feature => FeaturePrefix,
        FlowBranchKind.Bugfix => BugfixPrefix,
        FlowBranchKind.Release => ReleasePrefix,
        FlowBranchKind.Hotfix => HotfixPrefix,
        _ => SupportPrefix,
    };

    /// <summary>Reads gitflow.* from <paramref name="repository"/>; null when git flow init has not run.</summary>
    public static FlowConfiguration? Read(Repository repository)
    {
        var c = repository.Config;
        string? Get(string key) => c.Get<string>(key)?.Value;
        var main = Get("gitflow.branch.master");
        var develop = Get("gitflow.branch.develop");
        if (main is null || develop is null) return null;
        var hooks = Get("gitflow.path.hooks") ?? Get("core.hooksPath") ?? Path.Combine(repository.Info.Path, "hooks");
        if (!Path.IsPathRooted(hooks)) hooks = Path.Combine(repository.Info.WorkingDirectory ?? repository.Info.Path, hooks);
        return new FlowConfiguration(main, develop,
            Get("gitflow.prefix.feature") ?? "feature/",
            Get("gitflow.prefix.bugfix") ?? "bugfix/",
            Get("gitflow.prefix.release") ?? "release/",
            Get("gitflow.prefix.hotfix") ?? "hotfix/",
            Get("gitflow.prefix.support") ?? "support/",
            Get("gitflow.prefix.versiontag") ?? "",
            Get("gitflow.origin") ?? "origin",
            hooks,
            string.Equals(Get("gitflow.multi-hotfix"), "true", StringComparison.OrdinalIgnoreCase),
            string.Equals(Get("gitflow.allowdirty"), "true", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Writes the keys git flow init writes, at the repository level.</summary>
    public void Write(Repository repository)
    {
        var c = repository.Config;
        c.Set("gitflow.branch.master", MainBranch, ConfigurationLevel.Local);
        c.Set("gitflow.branch.develop", DevelopBranch, ConfigurationLevel.Local);
        c.Set("gitflow.prefix.feature", FeaturePrefix, ConfigurationLevel.Local);
        c.Set("gitflow.prefix.bugfix", BugfixPrefix, ConfigurationLevel.Local);
        c.Set("gitflow.prefix.release", ReleasePrefix, ConfigurationLevel.Local);
        c.Set("gitflow.prefix.hotfix", HotfixPrefix, ConfigurationLevel.Local);
        c.Set("gitflow.prefix.support", SupportPrefix, ConfigurationLevel.Local);
        c.Set("gitflow.prefix.versiontag", VersionTagPrefix, ConfigurationLevel.Local);
        c.Set("gitflow.path.hooks", HooksPath, ConfigurationLevel.Local);
    }
}
