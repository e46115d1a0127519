using System.Collections.Concurrent;
using Capstan.Core;
using Capstan.Core.Git;
using Capstan.Flow.GitFlow;

namespace Capstan.Delivery.Sources;

/// <summary>What a flow operation changed, after it was pushed: refs created, moved or removed, and tags.</summary>
public sealed record PushedChanges(IReadOnlyList<string> Lines);

/// <summary>
/// Capstan's own clone of each source repo under DATA/work/repos/NAME. Before an operation it mirrors
/// origin (fetch, then local branches = origin's); afterwards it pushes exactly the refs the operation
/// changed with the git CLI (so SSH keys and credential helpers work), never forcing over someone else's push.
/// </summary>
public sealed class SourceWorkspace(DataFolder data)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);

    public string PathOf(SourceRepo repo) => Path.Combine(data.Work, "repos", repo.Name);

    /// <summary>Runs <paramref name="work"/> on a fresh mirror of the repo, one operation per repo at a time, then pushes what changed.</summary>
    public async Task<(T Result, PushedChanges Pushed)> RunAsync<T>(SourceRepo repo, bool push, Func<string, Task<T>> work, CancellationToken ct)
    {
        var gate = _gates.GetOrAdd(repo.Name, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            var dir = await SyncAsync(repo, ct);
            var before = await RefsAsync(dir, ct); // = origin's refs: what git flow init creates (develop) is pushed too
            // Every operation starts from origin's branches, so a develop that an earlier init created here and never
            // pushed (a read-only command) is gone again: set git-flow up again whenever its branches are missing, or
            // the first answer would see a develop that the next one does not.
            using (var flow = GitFlowRepository.Open(dir))
                if (!flow.HasFlowBranches) await flow.InitAsync(new InitOptions { Force = true }, ct);
            var result = await work(dir);
            if (!push) return (result, new PushedChanges([]));
            var after = await RefsAsync(dir, ct);
            return (result, await PushAsync(dir, before, after, ct));
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<string> SyncAsync(SourceRepo repo, CancellationToken ct)
    {
        var dir = PathOf(repo);
        if (!Directory.Exists(Path.Combine(dir, ".git")))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(dir)!);
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
            var clone = await GitCli.RunAsync(Path.GetDirectoryName(dir)!, ["clone", "--quiet", "--no-hardlinks", "--", repo.Url, dir], ct);
            if (!clone.Ok) throw new SourceException($"Cannot clone {repo.Name} from {repo.Url}: {clone.Error.Trim()}. Check repos.{repo.Name}.url in capstan.yaml and that this machine can reach it.");
            await Git(dir, ct, "config", "user.name", "Capstan");
            await Git(dir, ct, "config", "user.email", "capstan@localhost");
        }
        else
        {
            var fetch = await GitCli.RunAsync(dir, ["fetch", "--quiet", "--prune", "--tags", "origin"], ct);
            if (!fetch.Ok) throw new SourceException($"Cannot fetch {repo.Name} from {repo.Url}: {fetch.Error.Trim()}.");
        }
        // Capstan's clone keeps no work of its own between operations: local branches become origin's.
        await GitCli.RunAsync(dir, ["merge", "--abort"], ct);
        await Git(dir, ct, "reset", "--quiet", "--hard");
        await Git(dir, ct, "clean", "-fdq");
        await Git(dir, ct, "checkout", "--quiet", "--detach");
        var remote = (await Git(dir, ct, "for-each-ref", "--format=%(refname:strip=3) %(objectname)", "refs/remotes/origin/")).Output
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).Where(p => p[0] != "HEAD").ToList();
        var local = (await Git(dir, ct, "for-each-ref", "--format=%(refname:strip=2)", "refs/heads/")).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var b in local.Except(remote.Select(p => p[0]))) await Git(dir, ct, "branch", "--quiet", "-D", b);
        foreach (var p in remote) await Git(dir, ct, "update-ref", $"refs/heads/{p[0]}", p[1]);
        return dir;
    }

    private static async Task<Dictionary<string, string>> RefsAsync(string dir, CancellationToken ct) =>
        (await Git(dir, ct, "for-each-ref", "--format=%(refname) %(objectname)", "refs/heads/", "refs/tags/")).Output
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);

    private static async Task<PushedChanges> PushAsync(string dir, Dictionary<string, string> before, Dictionary<string, string> after, CancellationToken ct)
    {
        var specs = new List<string>();
        var leases = new List<string>();
        var lines = new List<string>();
        foreach (var (name, sha) in after)
        {
            if (before.TryGetValue(name, out var old) && old == sha) continue;
            specs.Add($"{name}:{name}");
            if (before.TryGetValue(name, out var was)) leases.Add($"--force-with-lease={name}:{was}");
            lines.Add(before.ContainsKey(name) ? $"{Short(name)} → {sha[..7]}" : $"{Short(name)} created at {sha[..7]}");
        }
        var removed = before.Where(b => !after.ContainsKey(b.Key)).ToList();
        if (removed.Count > 0)
        {
            // A finish may already have deleted the branch on origin (git-flow AVH does); only delete what is still there, unchanged.
            var listed = await Git(dir, ct, "ls-remote", "origin");
            var onOrigin = listed.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).Where(p => p.Length == 2)
                .ToDictionary(p => p[1], p => p[0], StringComparer.Ordinal);
            foreach (var (name, was) in removed)
            {
                lines.Add($"{Short(name)} deleted");
                if (onOrigin.GetValueOrDefault(name) != was) continue;
                specs.Add($":{name}");
                leases.Add($"--force-with-lease={name}:{was}");
            }
        }
        if (specs.Count == 0) return new PushedChanges([]);
        // Tags first would be fine too; one atomic push keeps origin consistent if anything is refused.
        var push = await GitCli.RunAsync(dir, ["push", "--quiet", "--atomic", .. leases, "origin", .. specs], ct);
        if (!push.Ok)
            throw new SourceException($"The operation succeeded in Capstan's clone, but pushing it was refused: {push.Error.Trim()}. " +
                "Someone probably pushed to the same branch meanwhile; nothing was changed on origin — run the command again.");
        return new PushedChanges(lines);
    }

    private static string Short(string refName) =>
        refName.StartsWith("refs/heads/", StringComparison.Ordinal) ? refName[11..] : refName.StartsWith("refs/tags/", StringComparison.Ordinal) ? "tag " + refName[10..] : refName;

    private static async Task<GitCli.Result> Git(string dir, CancellationToken ct, params string[] args)
    {
        var r = await GitCli.RunAsync(dir, args, ct);
        if (!r.Ok) throw new SourceException($"git {args[0]} failed in Capstan's clone: {r.Error.Trim()}");
        return r;
    }
}

/// <summary>A source repository operation could not be done; the message says why and what to do.</summary>
public sealed class SourceException(string message) : Exception(message);
