namespace Capstan.Flow.Tests.Support;

/// <summary>The shape of a repository independent of commit dates: branches, tags, HEAD, and every commit as tree + subject + parents.</summary>
public static class RepositorySnapshot
{
    public static string Take(string path)
    {
        var log = Git.Ok(path, null, "log", "--all", "--topo-order", "--format=%H%x1f%T%x1f%P%x1f%s");
        var commits = new Dictionary<string, (string Tree, string[] Parents, string Subject)>();
        foreach (var line in log.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split('\x1f');
            commits[f[0]] = (f[1], f[2].Split(' ', StringSplitOptions.RemoveEmptyEntries), f[3]);
        }
        var names = new Dictionary<string, string>();
        string Name(string sha)
        {
            if (names.TryGetValue(sha, out var n)) return n;
            var c = commits[sha];
            n = $"[{c.Subject} | tree {c.Tree[..7]} | parents: {string.Join(", ", c.Parents.Select(Name))}]";
            names[sha] = n;
            return n;
        }
        var lines = new List<string>();
        foreach (var r in Git.Ok(path, null, "for-each-ref", "--format=%(refname) %(objecttype) %(*objectname)%(objectname)", "refs/heads", "refs/tags")
                     .Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = r.Split(' ', 4);
            var target = parts[2].Length > 40 ? parts[2][..40] : parts[2];
            lines.Add($"{parts[0]} ({parts[1]}) -> {Name(target)}");
        }
        lines.Add("HEAD -> " + Git.Ok(path, null, "symbolic-ref", "-q", "--short", "HEAD").Trim());
        var config = Git.Run(path, null, "config", "--local", "--get-regexp", "^gitflow\\.(branch|prefix)\\.").Output
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Order();
        lines.AddRange(config);
        return string.Join('\n', lines);
    }
}
