using Capstan.Core.Config;
using Capstan.Delivery.Apps;
using LibGit2Sharp;

namespace Capstan.Delivery.Reconciliation;

/// <summary>The commit that made a slot's desired state what it is: who, why, and which chat request (if any) asked for it.</summary>
public sealed record ChangeCause(string Commit, string AuthorName, string AuthorEmail, string Subject, DateTimeOffset At, string? RequestId, bool AutomaticRollback, IReadOnlyList<string> ApprovedBy)
{
    public const string RequestTrailer = "Capstan-Request";
    public const string ApprovedTrailer = "Approved-by";
    public const string RollbackTrailer = "Capstan-Rollback";

    public string ShortCommit => Commit.Length > 7 ? Commit[..7] : Commit;

    /// <summary>Whether a person (not Capstan itself) made this change.</summary>
    public bool ByPerson => !string.Equals(AuthorEmail, ConfigRepo.CapstanCommitter.Email, StringComparison.OrdinalIgnoreCase);

    public static ChangeCause From(ConfigCommit c)
    {
        var trailers = Trailers(c.Message);
        return new ChangeCause(c.Sha, c.AuthorName, c.AuthorEmail, c.Subject, c.When,
            trailers.FirstOrDefault(t => t.Key == RequestTrailer).Value,
            trailers.Any(t => t.Key == RollbackTrailer),
            trailers.Where(t => t.Key == ApprovedTrailer).Select(t => t.Value).ToList());
    }

    /// <summary>"Key: value" lines of the message's last paragraph.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Trailers(string message)
    {
        var paragraphs = message.TrimEnd().Split("\n\n");
        if (paragraphs.Length < 2) return [];
        var list = new List<KeyValuePair<string, string>>();
        foreach (var line in paragraphs[^1].Split('\n'))
        {
            var colon = line.IndexOf(": ", StringComparison.Ordinal);
            if (colon <= 0 || line[..colon].Contains(' ')) return [];
            list.Add(new(line[..colon], line[(colon + 2)..].Trim()));
        }
        return list;
    }
}

/// <summary>Finds which slots each new commit changed, so every apply is attributed to the commit (and person) that caused it.</summary>
internal static class CommitAttribution
{
    /// <summary>For commits after <paramref name="since"/> up to <paramref name="head"/>, the newest cause per slot (app files affect every environment).</summary>
    public static Dictionary<Slot, ChangeCause> Since(ConfigRepo repo, string? since, string head, DeliveryConfig config)
    {
        var causes = new Dictionary<Slot, ChangeCause>();
        if (since is null || since == head) return causes;
        var commits = repo.CommitsSince(since, head);
        if (commits.Count > 500) commits = commits.Skip(commits.Count - 500).ToList();
        using var r = new Repository(repo.Path);
        foreach (var c in commits)
        {
            var commit = r.Lookup<Commit>(c.Sha);
            if (commit is null) continue;
            var cause = ChangeCause.From(c);
            var changes = r.Diff.Compare<TreeChanges>(commit.Parents.FirstOrDefault()?.Tree, commit.Tree);
            foreach (var ch in changes)
                foreach (var path in new[] { ch.Path, ch.OldPath })
                    foreach (var slot in SlotsOf(path, config))
                        causes[slot] = cause;
        }
        return causes;
    }

    /// <summary>The newest commit that touched a slot's files (used when nothing newer is known, e.g. at start-up).</summary>
    public static ChangeCause? Latest(ConfigRepo repo, Slot slot)
    {
        var c = repo.Log(1, DeliverySection.DesiredFile(slot)).FirstOrDefault();
        return c is null ? null : ChangeCause.From(c);
    }

    private static IEnumerable<Slot> SlotsOf(string path, DeliveryConfig config)
    {
        if (path.StartsWith(DeliverySection.EnvironmentsFolder, StringComparison.Ordinal))
        {
            var parts = path.Split('/');
            if (parts.Length == 3) yield return new Slot(Path.GetFileNameWithoutExtension(parts[2]), parts[1]);
        }
        else if (path.StartsWith(DeliverySection.AppsFolder, StringComparison.Ordinal))
        {
            var app = Path.GetFileNameWithoutExtension(path);
            foreach (var env in config.Environments.Keys) yield return new Slot(app, env);
        }
    }
}
