using System.Text;

namespace Capstan.Flow.GitFlow;

/// <summary>What a flow operation did, as sentences, and the branch the repository is on afterwards.</summary>
public sealed record FlowResult(string Operation, IReadOnlyList<string> Actions, string CurrentBranch)
{
    public string ToText()
    {
        var sb = new StringBuilder();
        sb.AppendLine("Summary of actions:");
        foreach (var a in Actions) sb.Append("- ").AppendLine(a);
        sb.Append("- You are now on branch '").Append(CurrentBranch).AppendLine("'");
        return sb.ToString();
    }
}

/// <summary>A git-flow branch as listed by "flow KIND list".</summary>
public sealed record FlowBranch(string Name, string ShortName, FlowBranchKind Kind, string TipSha, bool IsCurrent, string? Base);

/// <summary>Options of "flow init".</summary>
public sealed record InitOptions
{
    /// <summary>Accept the defaults without asking (-d); Capstan never prompts, so this is the only mode.</summary>
    public bool Defaults { get; init; } = true;
    public bool Force { get; init; }
    public string? MainBranch { get; init; }
    public string? DevelopBranch { get; init; }
    public string? FeaturePrefix { get; init; }
    public string? BugfixPrefix { get; init; }
    public string? ReleasePrefix { get; init; }
    public string? HotfixPrefix { get; init; }
    public string? SupportPrefix { get; init; }
    public string? VersionTagPrefix { get; init; }
}

/// <summary>Options of "flow KIND start".</summary>
public sealed record StartOptions
{
    /// <summary>-F: fetch the base branch from origin first.</summary>
    public bool Fetch { get; init; }
}

/// <summary>Options of "flow KIND finish", named after git-flow AVH's flags.</summary>
public sealed record FinishOptions
{
    /// <summary>-m: the tag message; without it the tag message is the tag name (no editor is ever opened).</summary>
    public string? Message { get; init; }
    /// <summary>-k: keep the branch.</summary>
    public bool Keep { get; init; }
    public bool KeepRemote { get; init; }
    public bool KeepLocal { get; init; }
    /// <summary>-D: delete the branch even if git thinks it is not merged.</summary>
    public bool ForceDelete { get; init; }
    /// <summary>-n: do not tag.</summary>
    public bool NoTag { get; init; }
    /// <summary>-S: squash the branch into one commit.</summary>
    public bool Squash { get; init; }
    /// <summary>-F: fetch from origin first.</summary>
    public bool Fetch { get; init; }
    /// <summary>-p (release/hotfix) or --push (feature): push the results to origin.</summary>
    public bool Push { get; init; }
    /// <summary>-b: merge the branch, not the tag, back into develop.</summary>
    public bool NoBackMerge { get; init; }
    /// <summary>--nodevelopmerge: do not merge back into develop.</summary>
    public bool NoDevelopMerge { get; init; }
    /// <summary>--no-ff: always make a merge commit for a feature.</summary>
    public bool NoFastForward { get; init; }
    /// <summary>-T: tag name instead of the version.</summary>
    public string? TagName { get; init; }
}

/// <summary>Options of "flow KIND delete".</summary>
public sealed record DeleteOptions
{
    /// <summary>-f: delete even if not merged.</summary>
    public bool Force { get; init; }
    /// <summary>-r: delete the branch on origin too.</summary>
    public bool Remote { get; init; }
}

/// <summary>A finish that stopped on a conflict: resolve it and continue, or abort to put everything back.</summary>
public class FlowConflictException(string message, IReadOnlyList<string> conflictedPaths) : FlowException(message)
{
    public IReadOnlyList<string> ConflictedPaths { get; } = conflictedPaths;
}
