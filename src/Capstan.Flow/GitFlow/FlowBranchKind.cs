namespace Capstan.Flow.GitFlow;

/// <summary>The kinds of git-flow branches.</summary>
public enum FlowBranchKind
{
    Feature,
    Bugfix,
    Release,
    Hotfix,
    Support,
}

/// <summary>Names of branch kinds as git-flow spells them on the command line and in hook names.</summary>
public static class FlowBranchKindNames
{
    public static string CommandName(this FlowBranchKind kind) => kind.ToString().ToLowerInvariant();

    public static bool TryParse(string text, out FlowBranchKind kind) =>
        Enum.TryParse(text, ignoreCase: true, out kind) && Enum.IsDefined(kind);

    /// <summary>True for kinds named by a version (release, hotfix, support) rather than a free name.</summary>
    public static bool IsVersioned(this FlowBranchKind kind) => kind is FlowBranchKind.Release or FlowBranchKind.Hotfix or FlowBranchKind.Support;
}
