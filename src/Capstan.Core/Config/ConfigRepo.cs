using System.Text;
using Capstan.Core.Git;
using LibGit2Sharp;

namespace Capstan.Core.Config;

/// <summary>Who a config commit is attributed to.</summary>
public sealed record CommitAuthor(string Name, string Email);

/// <summary>
/// Computes a change from the current files (path → text): returns the files to write (null text deletes),
/// or null when nothing needs to change.
/// </summary>
public delegate IReadOnlyDictionary<string, string?>? ConfigEdit(IReadOnlyDictionary<string, string> files);

/// <summary>A change to commit: message, author, trailers (Request-Id, Approved-by …) and the edit.</summary>
public sealed record ConfigChange(string Message, CommitAuthor Author, ConfigEdit Edit, IReadOnlyList<KeyValuePair<string, string>>? Trailers = null);

/// <summary>A commit in the config repo.</summary>
public sealed record ConfigCommit(string Sha, string Message, string AuthorName, string AuthorEmail, DateTimeOffset When, IReadOnlyList<string> Parents)
{
    public string ShortSha => Sha[..7];
    public string Subject => Message.Split('\n', 2)[0];
}

/// <summary>
/// The Git repository that is the single source of truth: a bare repo people can clone and push to.
/// Capstan writes commits straight into it and moves the branch with a compare-and-swap
/// (<c>git update-ref NEW OLD</c>), retrying on a race, so its commits and people's pushes never lose each other.
/// </summary>
public sealed class ConfigRepo
{
    public const string Branch = "main";
    public const string BranchRef = "refs/heads/main";
    public static readonly CommitAuthor CapstanCommitter = new("Capstan", "capstan@localhost");
    private readonly SemaphoreSlim _commitGate = new(1, 1);
    private readonly TimeProvider _clock;

    public string Path { get; }

    private ConfigRepo(string path, TimeProvider clock) => (Path, _clock) = (path, clock);

    /// <summary>Opens the bare repo, creating and seeding it when the folder is new; commits are dated by <paramref name="clock"/> (default: the system's).</summary>
    public static async Task<ConfigRepo> OpenOrCreateAsync(string path, IReadOnlyDictionary<string, string> seed, CancellationToken ct, TimeProvider? clock = null)
    {
        var repo = new ConfigRepo(path, clock ?? TimeProvider.System);
        if (!Directory.Exists(System.IO.Path.Combine(path, "objects")))
        {
            Directory.CreateDirectory(path);
            var init = await GitCli.RunAsync(path, ["init", "--bare", "--quiet", "--initial-branch=" + Branch], ct);
            if (!init.Ok) throw new IOException($"could not create the config repo at {path}: {init.Error.Trim()}");
            await GitCli.RunAsync(path, ["config", "receive.denyNonFastForwards", "true"], ct);
            await GitCli.RunAsync(path, ["config", "receive.denyDeletes", "true"], ct);
            await repo.CommitAsync(new ConfigChange("Seed the demo configuration", CapstanCommitter, _ => seed.ToDictionary(kv => kv.Key, kv => (string?)kv.Value)), ct);
        }
        return repo;
    }

    public string? HeadSha()
    {
        using var r = new Repository(Path);
        return r.Refs[BranchRef]?.ResolveToDirectReference()?.TargetIdentifier;
    }

    /// <summary>The text files of a commit, path → content.</summary>
    public IReadOnlyDictionary<string, string> ReadFiles(string sha)
    {
        using var r = new Repository(Path);
        var commit = r.Lookup<Commit>(sha) ?? throw new ArgumentException($"no commit {sha} in the config repo");
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        Collect(commit.Tree, "", files);
        return files;
    }

    public ConfigCommit ReadCommit(string sha)
    {
        using var r = new Repository(Path);
        return ToCommit(r.Lookup<Commit>(sha) ?? throw new ArgumentException($"no commit {sha} in the config repo"));
    }

    /// <summary>Newest first; only commits touching <paramref name="pathPrefix"/> when given.</summary>
    public IReadOnlyList<ConfigCommit> Log(int max, string? pathPrefix = null)
    {
        using var r = new Repository(Path);
        var head = r.Refs[BranchRef]?.ResolveToDirectReference()?.Target as Commit;
        if (head is null) return [];
        IEnumerable<Commit> commits = r.Commits.QueryBy(new CommitFilter { IncludeReachableFrom = head, SortBy = CommitSortStrategies.Time | CommitSortStrategies.Topological });
        if (pathPrefix is not null)
            commits = commits.Where(c => Touches(r, c, pathPrefix));
        return commits.Take(max).Select(ToCommit).ToList();
    }

    /// <summary>The commits reachable from HEAD that are not reachable from <paramref name="sinceSha"/>, oldest first.</summary>
    public IReadOnlyList<ConfigCommit> CommitsSince(string? sinceSha, string headSha)
    {
        using var r = new Repository(Path);
        var filter = new CommitFilter { IncludeReachableFrom = headSha, SortBy = CommitSortStrategies.Topological | CommitSortStrategies.Reverse };
        if (sinceSha is not null && r.Lookup<Commit>(sinceSha) is not null) filter.ExcludeReachableFrom = sinceSha;
        return r.Commits.QueryBy(filter).Take(10_000).Select(ToCommit).ToList();
    }

    /// <summary>Applies a change as one commit on main; retries on a concurrent push. Returns null when nothing changed.</summary>
    public async Task<ConfigCommit?> CommitAsync(ConfigChange change, CancellationToken ct)
    {
        await _commitGate.WaitAsync(ct);
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                string? oldSha;
                string newSha;
                using (var r = new Repository(Path))
                {
                    var head = r.Refs[BranchRef]?.ResolveToDirectReference()?.Target as Commit;
                    oldSha = head?.Sha;
                    var files = new Dictionary<string, string>(StringComparer.Ordinal);
                    if (head is not null) Collect(head.Tree, "", files);
                    var edits = change.Edit(files);
                    if (edits is null || edits.Count == 0 || edits.All(e => e.Value is null ? !files.ContainsKey(e.Key) : files.TryGetValue(e.Key, out var cur) && cur == e.Value))
                        return null;
                    var tree = head is null ? new TreeDefinition() : TreeDefinition.From(head.Tree);
                    foreach (var (path, text) in edits)
                    {
                        if (text is null) tree.Remove(path);
                        else tree.Add(path, r.ObjectDatabase.CreateBlob(new MemoryStream(Encoding.UTF8.GetBytes(text))), Mode.NonExecutableFile);
                    }
                    var now = _clock.GetUtcNow();
                    var message = change.Message.TrimEnd() + "\n";
                    if (change.Trailers is { Count: > 0 } trailers)
                        message += "\n" + string.Join("\n", trailers.Select(t => $"{t.Key}: {t.Value}")) + "\n";
                    var commit = r.ObjectDatabase.CreateCommit(
                        new Signature(change.Author.Name, change.Author.Email, now),
                        new Signature(CapstanCommitter.Name, CapstanCommitter.Email, now),
                        message, r.ObjectDatabase.CreateTree(tree), head is null ? [] : [head], prettifyMessage: false);
                    newSha = commit.Sha;
                }
                var update = await GitCli.RunAsync(Path, ["update-ref", "-m", "capstan: " + change.Message.Split('\n')[0], BranchRef, newSha, oldSha ?? new string('0', 40)], ct);
                if (update.Ok) return ReadCommit(newSha);
                if (attempt >= 20) throw new IOException($"could not update the config repo's {Branch} after {attempt} attempts: {update.Error.Trim()}");
                await Task.Delay(TimeSpan.FromMilliseconds(5 * attempt), ct);
            }
        }
        finally
        {
            _commitGate.Release();
        }
    }

    private static bool Touches(Repository r, Commit c, string prefix)
    {
        var parent = c.Parents.FirstOrDefault();
        var changes = r.Diff.Compare<TreeChanges>(parent?.Tree, c.Tree);
        return changes.Any(ch => ch.Path.StartsWith(prefix, StringComparison.Ordinal) || ch.OldPath.StartsWith(prefix, StringComparison.Ordinal));
    }

    private static ConfigCommit ToCommit(Commit c) =>
        new(c.Sha, c.Message, c.Author.Name, c.Author.Email, c.Author.When, c.Parents.Select(p => p.Sha).ToList());

    private static void Collect(Tree tree, string prefix, Dictionary<string, string> files)
    {
        foreach (var entry in tree)
        {
            var path = prefix + entry.Name;
            if (entry.TargetType == TreeEntryTargetType.Tree) Collect((Tree)entry.Target, path + "/", files);
            else if (entry.TargetType == TreeEntryTargetType.Blob)
            {
                var blob = (Blob)entry.Target;
                if (blob.Size > 2_000_000 || blob.IsBinary) continue;
                files[path] = blob.GetContentText(new FilteringOptions(path), Encoding.UTF8);
            }
        }
    }
}
