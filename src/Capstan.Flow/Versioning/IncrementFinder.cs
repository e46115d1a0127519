using System.Text.RegularExpressions;

namespace Capstan.Flow.Versioning;

/// <summary>Decides the increment for a candidate: the branch's own, raised by "+semver:" messages since the source commit.</summary>
internal sealed class IncrementFinder(VersionContext context)
{
    private readonly Dictionary<int, VersionField?> messageIncrements = [];
    private readonly Regex major = new(context.Configuration.MajorVersionBumpMessage, RegexOptions.IgnoreCase);
    private readonly Regex minor = new(context.Configuration.MinorVersionBumpMessage, RegexOptions.IgnoreCase);
    private readonly Regex patch = new(context.Configuration.PatchVersionBumpMessage, RegexOptions.IgnoreCase);
    private readonly Regex none = new(context.Configuration.NoBumpMessage, RegexOptions.IgnoreCase);

    // With the default bump patterns a message can only match if it contains "+semver:", which is far cheaper to look
    // for than running four regexes over every message of a 100k-commit history.
    private readonly string? required = new[]
    {
        context.Configuration.MajorVersionBumpMessage, context.Configuration.MinorVersionBumpMessage,
        context.Configuration.PatchVersionBumpMessage, context.Configuration.NoBumpMessage,
    }.All(p => p.StartsWith(@"\+semver:", StringComparison.Ordinal)) ? "+semver:" : null;

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

    private List<(int Commit, VersionField Increment)>? bumps;

    /// <summary>Commits reachable from the current one whose message asks for a bump; usually few, so each candidate checks only these.</summary>
    private List<(int Commit, VersionField Increment)> Bumps()
    {
        if (bumps is not null) return bumps;
        var reach = context.Graph.Ancestors(context.CurrentCommit);
        bumps = [];
        for (var i = 0; i < reach.Length; i++)
            if (reach[i] && MessageIncrement(i) is { } inc) bumps.Add((i, inc));
        return bumps;
    }

    private VersionField? FromMessages(int? source, EffectiveConfiguration configuration, string? label)
    {
        if (configuration.CommitMessageIncrementing == CommitMessageIncrementing.Disabled) return null;
        var graph = context.Graph;
        var reach = graph.Ancestors(context.CurrentCommit);
        VersionField? result = null;
        foreach (var (commit, inc) in Bumps())
        {
            if (configuration.CommitMessageIncrementing == CommitMessageIncrementing.MergeMessageOnly && graph.Parents(commit).Length < 2) continue;
            if (source is { } s && graph.IsAncestor(commit, s)) continue;
            // Commits already covered by a version tag in the range, and everything below them, no longer bump the version.
            var covered = false;
            foreach (var tag in context.Tags)
            {
                if (!reach[tag.Commit] || !tag.Version.MatchesLabel(label)) continue;
                if (source is { } s2 && graph.IsAncestor(tag.Commit, s2)) continue;
                if (graph.IsAncestor(commit, tag.Commit)) { covered = true; break; }
            }
            if (covered) continue;
            result = result is null || inc > result.Value ? inc : result;
        }
        return result;
    }

    private VersionField? MessageIncrement(int commit)
    {
        if (messageIncrements.TryGetValue(commit, out var cached)) return cached;
        if (required is not null && !context.Graph.MessageContains(commit, required)) return messageIncrements[commit] = null;
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
