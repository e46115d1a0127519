using System.Text.RegularExpressions;

namespace Capstan.Flow.Versioning;

/// <summary>A merge commit message that names the branch it merged, in one of the formats GitVersion recognises.</summary>
internal sealed record MergeMessage(string Format, string MergedBranch, SemanticVersion? Version)
{
    // Interpreted, not RegexOptions.Compiled: compiling costs more start-up time than a CLI run spends matching.
    private static readonly (string Name, Regex Pattern)[] Formats =
    [
        ("Default", new(@"^Merge (branch|tag) '(?<SourceBranch>[^']*)'(?: into (?<TargetBranch>[^\s]*))*")),
        ("SmartGit", new(@"^Finish (?<SourceBranch>[^\s]*)(?: into (?<TargetBranch>[^\s]*))*")),
        ("BitBucketPull", new(@"^Merge pull request #(?<PullRequestNumber>\d+) (from|in) (?<Source>.*) from (?<SourceBranch>[^\s]*) to (?<TargetBranch>[^\s]*)")),
        ("BitBucketPullv7", new(@"^Pull request #(?<PullRequestNumber>\d+).*\r?\n\r?\nMerge in (?<Source>.*) from (?<SourceBranch>[^\s]*) to (?<TargetBranch>[^\s]*)")),
        ("BitBucketCloudPull", new(@"^Merged in (?<SourceBranch>[^\s]*) \(pull request #(?<PullRequestNumber>\d+)\)")),
        ("GitHubPull", new(@"^Merge pull request #(?<PullRequestNumber>\d+) (from|in) (?:[^\s\/]+\/)?(?<SourceBranch>[^\s]*)(?: into (?<TargetBranch>[^\s]*))*")),
        ("RemoteTracking", new(@"^Merge remote-tracking branch '(?<SourceBranch>[^\s]*)'(?: into (?<TargetBranch>[^\s]*))*")),
        ("AzureDevOpsPull", new(@"^Merged (PR|pull request) (?<PullRequestNumber>\d+): Merge (?<SourceBranch>[^\s]*) to (?<TargetBranch>[^\s]*)")),
    ];

    public static MergeMessage? Parse(string message, VersionConfiguration configuration)
    {
        foreach (var (name, pattern) in Formats)
        {
            var m = pattern.Match(message);
            if (!m.Success) continue;
            var branch = m.Groups["SourceBranch"].Value;
            branch = Regex.Replace(branch, "^refs/remotes/", "", RegexOptions.IgnoreCase);
            branch = Regex.Replace(branch, "^origin/", "", RegexOptions.IgnoreCase);
            var version = BranchNameVersion.TryParse(branch, configuration, out var v, out _) ? v : null;
            return new MergeMessage(name, branch, version);
        }
        return null;
    }
}

/// <summary>Reads a version out of a branch name such as release/1.2.0 or hotfix-1.2.1.</summary>
internal static class BranchNameVersion
{
    public static bool TryParse(string branchName, VersionConfiguration configuration, out SemanticVersion version, out string? rest)
    {
        version = SemanticVersion.Zero;
        rest = null;
        var separator = branchName.Contains('/') || !branchName.Contains('-') ? '/' : '-';
        var length = 0;
        var pattern = new Regex("^(?:" + configuration.VersionInBranchPattern + ")", RegexOptions.CultureInvariant);
        foreach (var part in branchName.Split(separator))
        {
            if (part.Length == 0) return false;
            var m = pattern.Match(part);
            if (m.Success)
            {
                var text = m.Groups["version"].Success ? m.Groups["version"].Value : m.Value;
                if (SemanticVersion.TryParse(text, configuration.TagPrefix, out var parsed, loose: true))
                {
                    version = parsed with { BuildMetadata = null };
                    length += text.Length;
                    var remaining = length <= branchName.Length ? branchName[length..].Trim('-') : "";
                    rest = remaining.Length == 0 ? null : remaining;
                    return true;
                }
            }
            length += part.Length + 1;
        }
        return false;
    }
}
