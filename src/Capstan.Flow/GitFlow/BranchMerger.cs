using System.Text;
using LibGit2Sharp;

namespace Capstan.Flow.GitFlow;

/// <summary>Merges with the same results and messages as the git CLI: fast-forward, --no-ff or --squash, stopping on conflicts.</summary>
internal sealed class BranchMerger(Repository repository)
{
    public enum Outcome { Merged, FastForwarded, AlreadyMerged, Conflicts }

    public Signature Signature()
    {
        var signature = repository.Config.BuildSignature(DateTimeOffset.Now);
        return signature ?? throw new FlowException("Git does not know who you are, so it cannot write commits or tags. Run 'git config user.name \"Your Name\"' and 'git config user.email you@example.com', then try again.");
    }

    /// <summary>The message git writes for merging <paramref name="source"/> into <paramref name="into"/>.</summary>
    public string MergeMessage(string source, string into)
    {
        var suffix = into is "main" or "master" ? "" : $" into {into}";
        if (source.StartsWith("refs/tags/", StringComparison.Ordinal))
        {
            var name = source["refs/tags/".Length..];
            var tag = repository.Tags[name];
            var body = tag?.Annotation?.Message?.TrimEnd('\n');
            return $"Merge tag '{name}'{suffix}\n" + (string.IsNullOrEmpty(body) ? "" : $"\n{body}\n");
        }
        return $"Merge branch '{source}'{suffix}\n";
    }

    public Commit Resolve(string reference) =>
        (repository.Lookup(reference) ?? repository.Lookup("refs/heads/" + reference))?.Peel<Commit>()
        ?? throw new FlowException($"'{reference}' does not exist. Check the name and try again.");

    public void Checkout(string branch)
    {
        if (repository.Head.FriendlyName == branch && !repository.Info.IsHeadDetached) return;
        Commands.Checkout(repository, repository.Branches[branch] ?? throw new FlowException($"The branch '{branch}' does not exist. Create it or run 'capstan flow init' again."));
    }

    /// <summary>Merges <paramref name="source"/> into the checked-out branch; mode is "ff", "no-ff" or "squash".</summary>
    public Outcome Merge(string source, string mode, string message)
    {
        var commit = Resolve(source);
        if (repository.ObjectDatabase.FindMergeBase(commit, repository.Head.Tip)?.Sha == commit.Sha) return Outcome.AlreadyMerged;
        var options = new MergeOptions
        {
            CommitOnSuccess = false,
            FailOnConflict = false,
            FastForwardStrategy = mode == "ff" ? FastForwardStrategy.Default : FastForwardStrategy.NoFastForward,
        };
        var signature = Signature();
        var result = repository.Merge(commit, signature, options);
        if (result.Status == MergeStatus.UpToDate) return Outcome.AlreadyMerged;
        if (result.Status == MergeStatus.FastForward) return Outcome.FastForwarded;
        var text = mode == "squash" ? SquashMessage(source, commit) : message;
        File.WriteAllText(Path.Combine(repository.Info.Path, "MERGE_MSG"), text);
        if (result.Status == MergeStatus.Conflicts) return Outcome.Conflicts;
        CommitMerge(mode, text);
        return Outcome.Merged;
    }

    /// <summary>Records the merge in progress (after conflicts were resolved) as a commit.</summary>
    public void CommitMerge(string mode, string message)
    {
        if (repository.Index.Conflicts.Any())
            throw new FlowException($"Conflicts remain in {string.Join(", ", ConflictedPaths())}. Resolve them and 'git add' the files, then continue.");
        if (mode == "squash") ClearMergeHeads();
        var signature = Signature();
        repository.Commit(message, signature, signature, new CommitOptions { AllowEmptyCommit = true });
    }

    public IReadOnlyList<string> ConflictedPaths() =>
        repository.Index.Conflicts.Select(c => (c.Ours ?? c.Theirs ?? c.Ancestor).Path).Distinct().Order().ToList();

    public bool MergeInProgress => File.Exists(Path.Combine(repository.Info.Path, "MERGE_HEAD"));

    public void ClearMergeHeads()
    {
        foreach (var f in new[] { "MERGE_HEAD", "MERGE_MODE", "MERGE_MSG", "SQUASH_MSG" })
        {
            var p = Path.Combine(repository.Info.Path, f);
            if (File.Exists(p)) File.Delete(p);
        }
    }

    private string SquashMessage(string source, Commit commit)
    {
        var sb = new StringBuilder("Squashed commit of the following:\n");
        var filter = new CommitFilter { IncludeReachableFrom = commit, ExcludeReachableFrom = repository.Head.Tip };
        foreach (var c in repository.Commits.QueryBy(filter).Where(c => c.Parents.Count() < 2))
        {
            sb.Append("\ncommit ").Append(c.Sha).Append('\n');
            sb.Append("Author: ").Append(c.Author.Name).Append(" <").Append(c.Author.Email).Append(">\n\n");
            foreach (var line in c.Message.TrimEnd('\n').Split('\n')) sb.Append("    ").Append(line).Append('\n');
        }
        return sb.Length > 0 ? sb.ToString() : $"Squashed commit of '{source}'\n";
    }
}
