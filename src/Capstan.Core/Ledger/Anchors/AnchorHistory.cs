using Capstan.Core.Git;
using LibGit2Sharp;

namespace Capstan.Core.Ledger.Anchors;

/// <summary>One commit of the anchor history: the anchor it carries (null when its message is not one) and its parents.</summary>
public sealed record AnchorCommit(string Sha, IReadOnlyList<string> Parents, LedgerAnchor? Anchor)
{
    public string ShortSha => Sha[..7];
}

/// <summary>
/// The ledger's anchors in a Git repository (the config repo, or a mirror of it): a chain of commits on
/// <see cref="Ref"/>, each anchor's parent the one before, moved with a compare-and-swap (<c>git update-ref NEW OLD</c>)
/// so the history only grows. After each new anchor the ref is pushed to every remote the repository has.
/// </summary>
public sealed class AnchorHistory(string repoPath)
{
    public const string Ref = "refs/capstan/ledger-anchors";

    public string RepoPath { get; } = repoPath;

    /// <summary>The newest anchor commit, or null when there are none.</summary>
    public AnchorCommit? Latest()
    {
        using var r = new Repository(RepoPath);
        return r.Refs[Ref]?.ResolveToDirectReference()?.Target is Commit c ? ToAnchor(c) : null;
    }

    /// <summary>Every anchor commit, oldest first (following first parents from the ref).</summary>
    public IReadOnlyList<AnchorCommit> ReadAll()
    {
        using var r = new Repository(RepoPath);
        var list = new List<AnchorCommit>();
        for (var c = r.Refs[Ref]?.ResolveToDirectReference()?.Target as Commit; c is not null; c = c.Parents.FirstOrDefault())
            list.Add(ToAnchor(c));
        list.Reverse();
        return list;
    }

    /// <summary>
    /// Signs and commits an anchor of (<paramref name="seq"/>, <paramref name="hash"/>) on top of the newest one; does
    /// nothing when the newest already anchors that entry with that hash. Returns the newest anchor after the call.
    /// </summary>
    public async Task<LedgerAnchor?> AppendAsync(long seq, string hash, DateTimeOffset at, LedgerSigningKey key, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            string sha;
            string? old;
            LedgerAnchor anchor;
            using (var r = new Repository(RepoPath))
            {
                var tip = r.Refs[Ref]?.ResolveToDirectReference()?.Target as Commit;
                old = tip?.Sha;
                if (tip is not null && LedgerAnchor.Parse(tip.Message) is { } newest && newest.Seq == seq && newest.Hash == hash) return newest;
                anchor = LedgerAnchor.Create(seq, hash, at, key, old);
                var who = new Signature(ConfigRepoCommitter.Name, ConfigRepoCommitter.Email, anchor.At);
                var commit = r.ObjectDatabase.CreateCommit(who, who, anchor.ToCommitMessage(), r.ObjectDatabase.CreateTree(new TreeDefinition()),
                    tip is null ? [] : [tip], prettifyMessage: false);
                sha = commit.Sha;
            }
            var update = await GitCli.RunAsync(RepoPath, ["update-ref", "-m", $"capstan: anchor the ledger at entry {seq}", Ref, sha, old ?? new string('0', 40)], ct);
            if (update.Ok) return anchor;
            if (attempt >= 10) throw new IOException($"could not move {Ref} in {RepoPath} after {attempt} attempts: {update.Error.Trim()}");
            await Task.Delay(TimeSpan.FromMilliseconds(5 * attempt), ct);
        }
    }

    /// <summary>The repository's remotes (a mirror the operator added with <c>git remote add</c>).</summary>
    public async Task<IReadOnlyList<string>> RemotesAsync(CancellationToken ct)
    {
        var result = await GitCli.RunAsync(RepoPath, ["remote"], ct);
        return result.Ok ? result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [];
    }

    /// <summary>Pushes the anchor ref to a remote, never forced: a mirror that refuses rewrites keeps every anchor it got.</summary>
    public Task<GitCli.Result> PushAsync(string remote, CancellationToken ct) =>
        GitCli.RunAsync(RepoPath, ["push", "--quiet", remote, $"{Ref}:{Ref}"], ct);

    private static AnchorCommit ToAnchor(Commit c) => new(c.Sha, c.Parents.Select(p => p.Sha).ToList(), LedgerAnchor.Parse(c.Message));

    private static Config.CommitAuthor ConfigRepoCommitter => Config.ConfigRepo.CapstanCommitter;
}
