using System.Text.RegularExpressions;
using Capstan.Flow.Versioning;
using LibGit2Sharp;

namespace Capstan.Flow.Changelog;

/// <summary>Builds the changelog between two versions or refs from the commits in between.</summary>
public static partial class Changelog
{
    /// <summary>
    /// The changes reachable from <paramref name="to"/> (default HEAD) and not from <paramref name="from"/>
    /// (default: the newest version tag before <paramref name="to"/>). Versions may be given without the tag prefix.
    /// </summary>
    public static ChangelogModel Build(string repositoryPath, string? from = null, string? to = null)
    {
        using var repository = GitRepositoryLocator.Open(repositoryPath);
        var toCommit = Resolve(repository, to ?? "HEAD");
        var toName = to ?? (repository.Info.IsHeadDetached ? toCommit.Sha[..7] : repository.Head.FriendlyName);
        Commit? fromCommit;
        string fromName;
        if (from is not null)
        {
            fromCommit = Resolve(repository, from);
            fromName = from;
        }
        else
        {
            (fromCommit, fromName) = PreviousVersionTag(repository, toCommit);
        }
        var filter = new CommitFilter
        {
            IncludeReachableFrom = toCommit,
            ExcludeReachableFrom = fromCommit,
            SortBy = CommitSortStrategies.Topological | CommitSortStrategies.Time,
        };
        var web = WebUrl(repository);
        var entries = new List<ChangelogEntry>();
        foreach (var c in repository.Commits.QueryBy(filter))
        {
            if (c.Parents.Count() > 1) continue;
            var (type, scope, description, breaking, note) = ConventionalCommit.Parse(c.Message);
            entries.Add(new ChangelogEntry(type, scope, description, breaking, note, c.Author.Name, c.Sha, c.Sha[..7],
                web is null ? null : CommitLink(web, c.Sha), c.Author.When));
        }
        var sections = ConventionalCommit.Types
            .Select(t => new ChangelogSection(t.Type, t.Title, entries.Where(e => e.Type == t.Type).ToList()))
            .Where(s => s.Entries.Count > 0)
            .ToList();
        string? compare = web is not null && fromCommit is not null ? CompareLink(web, fromName, toName) : null;
        return new ChangelogModel(fromName, toName, entries.Where(e => e.Breaking).ToList(), sections, compare);
    }

    public static Task<ChangelogModel> BuildAsync(string repositoryPath, string? from = null, string? to = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => Build(repositoryPath, from, to), cancellationToken);

    /// <summary>Splits "FROM..TO", "FROM.." or "..TO" into its parts.</summary>
    public static (string? From, string? To) ParseRange(string? range)
    {
        if (string.IsNullOrWhiteSpace(range)) return (null, null);
        var at = range.IndexOf("..", StringComparison.Ordinal);
        if (at < 0) return (range, null);
        var from = range[..at];
        var to = range[(at + 2)..].TrimStart('.');
        return (from.Length == 0 ? null : from, to.Length == 0 ? null : to);
    }

    private static Commit Resolve(Repository repository, string reference)
    {
        foreach (var candidate in new[] { reference, "refs/tags/" + reference, "refs/tags/v" + reference, "refs/tags/V" + reference })
        {
            if (repository.Lookup(candidate) is { } obj && obj.Peel<Commit>() is { } commit) return commit;
        }
        throw new FlowException($"'{reference}' is not a tag, branch or commit in this repository. List versions with 'git tag' and try again.");
    }

    private static (Commit? Commit, string Name) PreviousVersionTag(Repository repository, Commit to)
    {
        var tagged = new Dictionary<string, (string Name, SemanticVersion Version)>();
        foreach (var tag in repository.Tags)
        {
            if (tag.PeeledTarget is not Commit c || c.Sha == to.Sha) continue;
            if (!SemanticVersion.TryParse(tag.FriendlyName, "[vV]?", out var v)) continue;
            if (!tagged.TryGetValue(c.Sha, out var existing) || v.CompareTo(existing.Version) > 0) tagged[c.Sha] = (tag.FriendlyName, v);
        }
        if (tagged.Count == 0) return (null, "the first commit");
        var filter = new CommitFilter { IncludeReachableFrom = to, SortBy = CommitSortStrategies.Topological | CommitSortStrategies.Time };
        foreach (var c in repository.Commits.QueryBy(filter))
            if (tagged.TryGetValue(c.Sha, out var t)) return (c, t.Name);
        return (null, "the first commit");
    }

    /// <summary>The https address of the origin (or only) remote on a GitHub-style or GitLab host, if any.</summary>
    private static string? WebUrl(Repository repository)
    {
        var remote = repository.Network.Remotes["origin"] ?? repository.Network.Remotes.FirstOrDefault();
        if (remote?.Url is not { } url) return null;
        var ssh = ScpLike().Match(url);
        string web;
        if (ssh.Success) web = $"https://{ssh.Groups["host"].Value}/{ssh.Groups["path"].Value}";
        else if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" or "ssh" or "git")
            web = $"https://{uri.Host}{uri.AbsolutePath}";
        else return null;
        return web.EndsWith(".git", StringComparison.Ordinal) ? web[..^4] : web.TrimEnd('/');
    }

    private static bool IsGitLab(string web) => new Uri(web).Host.Contains("gitlab", StringComparison.OrdinalIgnoreCase);

    private static string CommitLink(string web, string sha) => IsGitLab(web) ? $"{web}/-/commit/{sha}" : $"{web}/commit/{sha}";

    private static string CompareLink(string web, string from, string to) => IsGitLab(web) ? $"{web}/-/compare/{from}...{to}" : $"{web}/compare/{from}...{to}";

    [GeneratedRegex(@"^(?:[^@/]+@)?(?<host>[^:/]+):(?<path>[^/].*)$")]
    private static partial Regex ScpLike();
}
