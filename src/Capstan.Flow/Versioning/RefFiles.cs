using System.Security.Cryptography;
using System.Text;

namespace Capstan.Flow.Versioning;

/// <summary>
/// Reads a repository's ref files (HEAD, packed-refs, refs/heads, refs/tags) straight from disk to key the version cache,
/// so a cache hit needs neither libgit2 nor a git process. Layouts it does not know (reftable, GIT_DIR) return null and
/// the caller keys the cache through git instead.
/// </summary>
internal sealed record RefFiles(string GitDirectory, string CommonDirectory, string? WorkTree)
{
    public static RefFiles? Find(string path)
    {
        if (Environment.GetEnvironmentVariable("GIT_DIR") is not null || Environment.GetEnvironmentVariable("GIT_COMMON_DIR") is not null) return null;
        string? dir;
        try { dir = Path.GetFullPath(path); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException) { return null; }
        if (!Directory.Exists(dir)) return null; // the slow path says what is wrong
        for (; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            var dotGit = Path.Combine(dir, ".git");
            if (Directory.Exists(dotGit)) return Resolve(dotGit, dir);
            if (File.Exists(dotGit))
            {
                var text = File.ReadAllText(dotGit).Trim();
                if (!text.StartsWith("gitdir:", StringComparison.Ordinal)) return null;
                return Resolve(Path.GetFullPath(Path.Combine(dir, text["gitdir:".Length..].Trim())), dir);
            }
            if (File.Exists(Path.Combine(dir, "HEAD")) && Directory.Exists(Path.Combine(dir, "objects")) && Directory.Exists(Path.Combine(dir, "refs")))
                return Resolve(dir, null);
        }
        return null;
    }

    private static RefFiles? Resolve(string gitDirectory, string? workTree)
    {
        var common = gitDirectory;
        var commonFile = Path.Combine(gitDirectory, "commondir");
        if (File.Exists(commonFile)) common = Path.GetFullPath(Path.Combine(gitDirectory, File.ReadAllText(commonFile).Trim()));
        if (Directory.Exists(Path.Combine(common, "reftable")) || !File.Exists(Path.Combine(gitDirectory, "HEAD"))) return null;
        return new RefFiles(gitDirectory, common, workTree);
    }

    /// <summary>
    /// A hash of everything a version depends on besides the commits themselves, which never change; null when a ref
    /// changed while it was read (git was writing), and then the caller keys through git.
    /// </summary>
    public string? Key(string format, string? branch)
    {
        try { return ReadKey(format, branch); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    private string ReadKey(string format, string? branch)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string text) => hash.AppendData(Encoding.UTF8.GetBytes(text + "\0"));
        Add(format);
        Add(branch ?? "(HEAD)");
        Add(File.ReadAllText(Path.Combine(GitDirectory, "HEAD")));
        var packed = Path.Combine(CommonDirectory, "packed-refs");
        Add(File.Exists(packed) ? File.ReadAllText(packed) : "");
        foreach (var folder in new[] { "refs/heads", "refs/tags" })
        {
            var root = Path.Combine(CommonDirectory, folder);
            if (!Directory.Exists(root)) continue;
            var files = Directory.GetFiles(root, "*", SearchOption.AllDirectories);
            Array.Sort(files, StringComparer.Ordinal);
            foreach (var f in files)
            {
                if (f.EndsWith(".lock", StringComparison.Ordinal)) continue;
                Add(Path.GetRelativePath(CommonDirectory, f));
                Add(File.ReadAllText(f));
            }
        }
        var config = ConfigurationFile.Find(WorkTree);
        Add(config is null ? "" : File.ReadAllText(config));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
