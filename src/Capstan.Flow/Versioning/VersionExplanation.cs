using System.Text;

namespace Capstan.Flow.Versioning;

/// <summary>One base version a strategy proposed, and what it became after the increment.</summary>
public sealed record VersionCandidate(string Source, string BaseVersion, string Increment, string NextVersion, string? SourceSha, string EffectiveBranch);

/// <summary>Why a branch got its version: the candidates, the one chosen, and the commits counted.</summary>
public sealed record VersionExplanation(
    string Branch,
    string Sha,
    IReadOnlyList<string> EffectiveBranches,
    IReadOnlyList<VersionCandidate> Candidates,
    VersionCandidate? Chosen,
    string? CountedFromSha,
    int CommitsCounted,
    string Mode,
    string? TaggedCommitShortcut,
    VersionVariables Result)
{
    /// <summary>A chat-friendly text of the decision.</summary>
    public string ToText()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"{Branch} at {Sha[..7]} is {Result.FullSemVer}.");
        if (TaggedCommitShortcut is not null)
        {
            sb.AppendLine($"Decided by: {TaggedCommitShortcut} on the current commit (the branch takes a tagged commit's version as is).");
            return sb.ToString();
        }
        sb.AppendLine($"Configuration from: {string.Join(", ", EffectiveBranches)} (mode {Mode}).");
        sb.AppendLine("Candidates:");
        foreach (var c in Candidates)
        {
            var mark = ReferenceEquals(c, Chosen) ? "*" : "-";
            sb.AppendLine($" {mark} {c.Source}: {c.BaseVersion} + {c.Increment} -> {c.NextVersion}" + (c.SourceSha is null ? "" : $" (counts from {c.SourceSha[..7]})"));
        }
        if (Chosen is not null) sb.AppendLine($"Decided by: {Chosen.Source}.");
        sb.AppendLine(CountedFromSha is null
            ? $"Commits counted: {CommitsCounted} (all commits on the branch; no version source commit)."
            : $"Commits counted: {CommitsCounted} since {CountedFromSha[..7]}.");
        return sb.ToString();
    }
}
