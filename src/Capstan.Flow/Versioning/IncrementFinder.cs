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

    private readonly Dictionary<string, List<(int Commit, VersionField Increment)>> bumpsByLabel = [];

    /// <summary>
    /// The commits whose message asks for a bump, reachable from the current one and not covered by a version tag
    /// matching <paramref name="label"/> (a tag covers itself and every commit below it). Found by walking from the
    /// current commit and stopping at covered commits, so only the messages since the newest matching tags are read,
    /// not every message of the history (a commit below a covered one is covered too, so none is missed).
    /// </summary>
    private List<(int Commit, VersionField Increment)> Bumps(string? label)
    {
        if (bumpsByLabel.TryGetValue(label ?? "", out var known)) return known;
        var graph = context.Graph;
        var reach = graph.Ancestors(context.CurrentCommit);
        var tags = new List<int>();
        foreach (var tag in context.Tags)
            if (reach[tag.Commit] && tag.Version.MatchesLabel(label)) tags.Add(tag.Commit);
        var covered = graph.AncestorsOfAll(tags);
        var bumps = new List<(int Commit, VersionField Increment)>();
        var seen = new bool[graph.Count];
        var stack = new Stack<int>();
        if (!covered[context.CurrentCommit]) { stack.Push(context.CurrentCommit); seen[context.CurrentCommit] = true; }
        while (stack.Count > 0)
        {
            var commit = stack.Pop();
            foreach (var p in graph.Parents(commit))
                if (!covered[p] && !seen[p]) { seen[p] = true; stack.Push(p); }
            if (MessageIncrement(commit) is { } inc) bumps.Add((commit, inc));
        }
        bumpsByLabel[label ?? ""] = bumps;
        return bumps;
    }

    /// <summary>
    /// The highest bump asked for since <paramref name="source"/>. A tag below the source covers only commits the source
    /// already excludes, so skipping commits covered by any matching tag gives the same answer as skipping those covered
    /// by the tags between the source and the current commit.
    /// </summary>
    private VersionField? FromMessages(int? source, EffectiveConfiguration configuration, string? label)
    {
        if (configuration.CommitMessageIncrementing == CommitMessageIncrementing.Disabled) return null;
        var graph = context.Graph;
        VersionField? result = null;
        foreach (var (commit, inc) in Bumps(label))
        {
            if (configuration.CommitMessageIncrementing == CommitMessageIncrementing.MergeMessageOnly && graph.Parents(commit).Length < 2) continue;
            if (source is { } s && graph.IsAncestor(commit, s)) continue;
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
