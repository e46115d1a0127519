using Capstan.Flow.GitObjects;
using LibGit2Sharp;

namespace Capstan.Flow.Versioning;

/// <summary>
/// Every local branch and tag with the commit it points at, as "git for-each-ref" lists them (it peels annotated tags
/// one level): read from the ref files and objects in-process where that gives git's answer, else by git itself.
/// </summary>
/// <param name="Raw">What git printed, which keys the cache when the ref files cannot; null when read in-process.</param>
internal sealed record RefSnapshot(IReadOnlyDictionary<string, string> Branches, IReadOnlyList<(string Name, string Commit)> Tags, string? Raw)
{
    private const string Heads = "refs/heads/";
    private const string TagRefs = "refs/tags/";

    /// <summary>The refs from the files when <paramref name="files"/> can give exactly git's list, else through git.</summary>
    public static RefSnapshot Read(Repository repository, RefFiles? files)
    {
        RefFiles.RefContents? contents = null;
        files?.Key("refs", null, out contents);
        return (contents is null ? null : TryReadFiles(contents, repository.Info.Path)) ?? Read(repository);
    }

    /// <summary>
    /// The refs from what the cache key read (packed-refs, then the loose refs that override it), and each ref's object
    /// for its type (and a tag's target): one git process less, which is most of a version after one new commit. Gives
    /// null for anything git might list differently — a symbolic or unreadable ref, a name that is not plain ASCII (git
    /// sorts bytes), an object that cannot be read — and the caller asks git.
    /// </summary>
    public static RefSnapshot? TryReadFiles(RefFiles.RefContents contents, string gitDirectory)
    {
        var names = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (!ReadPacked(System.Text.Encoding.UTF8.GetString(contents.Packed), names)) return null;
        foreach (var (path, content) in contents.Loose)
        {
            var name = path.Replace(Path.DirectorySeparatorChar, '/').TrimStart('/');
            var sha = System.Text.Encoding.ASCII.GetString(content).TrimEnd('\n');
            if (!IsPlain(name) || !IsObjectName(sha)) return null;
            names[name] = sha;
        }
        using var objects = ObjectFiles.TryOpen(gitDirectory);
        if (objects is null) return null;
        using var decoder = CommitDecoder.Create(objects);
        // A ref that git's commit-graph file names is a commit: no object to read (every branch, usually).
        using var graph = GitCommitGraph.TryOpen(objects.Folder);
        var id = new byte[ObjectFiles.IdLength];
        var branches = new Dictionary<string, string>(StringComparer.Ordinal);
        var tags = new List<(string, string)>();
        var read = 0;
        foreach (var (name, sha) in names)
        {
            // Tag objects are spread over the pack: at 20,000 tags, reading them all kept ~280 MB of pack and index resident.
            if (++read % 2048 == 0) objects.ReleasePages();
            ObjectFiles.Kind kind;
            string? commit;
            if (graph is not null && CommitDecoder.TryHex(sha, id) && graph.Find(id) >= 0) (kind, commit) = (ObjectFiles.Kind.Commit, sha);
            else kind = decoder.Peel(sha, out commit);
            if (kind == ObjectFiles.Kind.None) return null; // git skips a broken ref with a warning: let it say so
            if (commit is null) continue;
            if (name.StartsWith(Heads, StringComparison.Ordinal))
            {
                if (kind == ObjectFiles.Kind.Commit) branches[name[Heads.Length..]] = commit;
            }
            else tags.Add((name[TagRefs.Length..], commit));
        }
        return new RefSnapshot(branches, tags, null);
    }

    /// <summary>"SHA NAME" lines, "^SHA" peeled lines and a "#" header; false for anything else.</summary>
    private static bool ReadPacked(string text, SortedDictionary<string, string> names)
    {
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] is '#' or '^') continue;
            var space = line.IndexOf(' ');
            if (space < 0 || !IsObjectName(line[..space])) return false;
            var name = line[(space + 1)..];
            if (!name.StartsWith(Heads, StringComparison.Ordinal) && !name.StartsWith(TagRefs, StringComparison.Ordinal)) continue;
            if (!IsPlain(name)) return false;
            names[name] = line[..space];
        }
        return true;
    }

    private static bool IsObjectName(string text) =>
        text.Length == 2 * ObjectFiles.IdLength && CommitDecoder.TryHex(text, stackalloc byte[ObjectFiles.IdLength]);

    private static bool IsPlain(string name)
    {
        foreach (var c in name)
            if (c is <= ' ' or > '~') return false;
        return true;
    }

    /// <summary>The refs as git lists them, in one "git for-each-ref" run.</summary>
    public static RefSnapshot Read(Repository repository)
    {
        System.Diagnostics.Process started;
        try
        {
            started = GitRunner.Start(repository.Info.Path, Environment.CurrentDirectory,
                ["for-each-ref", "--format=%(objecttype) %(refname) %(objectname) %(*objectname) %(*objecttype)", "refs/heads", "refs/tags"]);
        }
        catch (InvalidOperationException ex) { throw new FlowException(ex.Message); }
        using var process = started;
        var stderr = process.StandardError.ReadToEndAsync();
        var text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new FlowException($"Reading branches and tags failed: {stderr.Result.Trim()} Check that the repository is intact ('git fsck').");
        var branches = new Dictionary<string, string>(StringComparer.Ordinal);
        var tags = new List<(string, string)>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split(' ');
            if (f.Length < 3) continue;
            if (f[1].StartsWith(Heads, StringComparison.Ordinal) && f[0] == "commit")
                branches[f[1][Heads.Length..]] = f[2];
            else if (f[1].StartsWith(TagRefs, StringComparison.Ordinal))
            {
                if (f[0] == "commit") tags.Add((f[1][TagRefs.Length..], f[2]));
                else if (f[0] == "tag" && f.Length >= 5 && f[4] == "commit") tags.Add((f[1][TagRefs.Length..], f[3]));
            }
        }
        return new RefSnapshot(branches, tags, text);
    }
}
