using System.Text.RegularExpressions;

namespace Capstan.Flow.Versioning;

/// <summary>Decides the increment for a candidate: the branch's own, raised by "+semver:" messages since the source commit.</summary>
internal sealed class IncrementFinder(VersionContext context)
{
    private readonly Dictionary<int, VersionField?> messageIncrements = [];
    private readonly Regex major = new(context.Configuration.MajorVersionBumpMessage, RegexOptions.IgnoreCase | RegexOptions.Compiled);
    private readonly Regex minor = new(context.Configuration.MinorVersionBumpMessage, RegexOptions.IgnoreCase | RegexOptions.Compiled);
    private readonly Regex patch = new(context.Configuration.PatchVersionBumpMessage, RegexOptions.IgnoreCase | RegexOptions.Compiled);
    private readonly Regex none = new(context.Configuration.NoBumpMessage, RegexOptions.IgnoreCase | RegexOptions.Compiled);

    /// <summary>The increment forced by commit messages alone in the last call, for explanations.</summary>
    public VersionField? LastMessageIncrement { get; private set; }

    public VersionField Determine(int? source, bool shouldIncrement, EffectiveConfiguration configuration, string? label)
    {
        var fromMessages = FromMessages(source, configuration, label);
        LastMessageIncrement = fromMessages;
        var byBranch = configuration.Increment;
        if (fromMessages is null) return shouldIncrement ? byBranch : VersionField.None;
        if (shouldIncrement && fromMessages.Value < byBranch) return byBranch;
        return fromMessages.Value;
    }

    private VersionField? FromMessages(int? source, EffectiveConfiguration configuration, string? label)
    {
        if (configuration.CommitMessageIncrementing == CommitMessageIncrementing.Disabled) return null;
        var graph = context.Graph;
        var inLog = new bool[graph.Count];
        foreach (var c in graph.Between(source, context.CurrentCommit)) inLog[c] = true;

        // Commits already covered by a version tag, and everything below them, no longer bump the version.
        var stack = new Stack<int>();
        foreach (var tag in context.Tags)
        {
            if (!tag.Version.MatchesLabel(label) || !inLog[tag.Commit]) continue;
            inLog[tag.Commit] = false;
            stack.Push(tag.Commit);
            while (stack.Count > 0)
            {
                foreach (var p in graph.Parents(stack.Pop()))
                {
                    if (!inLog[p]) continue;
                    inLog[p] = false;
                    stack.Push(p);
                }
            }
        }

        VersionField? result = null;
        for (var i = 0; i < inLog.Length; i++)
        {
            if (!inLog[i]) continue;
            if (configuration.CommitMessageIncrementing == CommitMessageIncrementing.MergeMessageOnly && graph.Parents(i).Length < 2) continue;
            var inc = MessageIncrement(i);
            if (inc is null) continue;
            result = result is null || inc.Value > result.Value ? inc : result;
        }
        return result;
    }

    private VersionField? MessageIncrement(int commit)
    {
        if (messageIncrements.TryGetValue(commit, out var cached)) return cached;
        var message = context.Graph.Message(commit);
        VersionField? inc = none.IsMatch(message) ? VersionField.None
            : major.IsMatch(message) ? VersionField.Major
            : minor.IsMatch(message) ? VersionField.Minor
            : patch.IsMatch(message) ? VersionField.Patch
            : null;
        messageIncrements[commit] = inc;
        return inc;
    }
}
