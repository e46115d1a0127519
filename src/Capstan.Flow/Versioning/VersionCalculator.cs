using System.Security.Cryptography;
using System.Text;
using LibGit2Sharp;

namespace Capstan.Flow.Versioning;

/// <summary>A version read from the cache: the variables and the JSON text they were printed as when computed.</summary>
public sealed record CachedVersion(VersionVariables Variables, string Json);

/// <summary>Computes GitVersion-compatible version variables for a branch, with an on-disk cache keyed by every ref.</summary>
public static class VersionCalculator
{
    private const string CacheFolder = "capstan-version-cache";
    private const string CacheFormat = "capstan-version-cache-v3";
    private const string CacheExtension = ".version";
    private const string GraphFile = "commits.graph";

    /// <summary>The version variables of <paramref name="branch"/> (default: the checked-out branch) in the repository at <paramref name="repositoryPath"/>.</summary>
    public static VersionVariables Calculate(string repositoryPath, string? branch = null, bool useCache = true)
    {
        // The keys a cache miss just read (TryCached, then Calculate: the short command's path) are not read again.
        var missed = useCache && Interlocked.Exchange(ref lastMiss, null) is { } last && last.Path == repositoryPath && last.Branch == branch ? last.Keys : null;
        var keys = missed ?? (useCache ? CacheKeys.Read(repositoryPath, branch) : null);
        if (missed is null && keys?.Lookup() is { } hit) return hit.Variables;
        using var repository = GitRepositoryLocator.Open(repositoryPath);
        var configuration = LoadConfiguration(repository);
        // Keyed through git when the ref files could not key it: then git lists the refs, and its listing is the key.
        var gitKeyed = useCache && keys?.ContentFile is null;
        // Otherwise the refs are the ones the content key read, so the version and its key describe the same refs.
        var refs = gitKeyed ? RefSnapshot.Read(repository)
            : keys?.Contents is { } contents ? RefSnapshot.TryReadFiles(contents, repository.Info.Path) ?? RefSnapshot.Read(repository)
            : RefSnapshot.Read(repository, RefFiles.Find(repositoryPath));
        string? gitKeyedFile = null;
        if (gitKeyed)
        {
            gitKeyedFile = Path.Combine(repository.Info.Path, CacheFolder, CacheKey(repository, branch, refs) + CacheExtension);
            if (TryRead(gitKeyedFile) is { } gitHit) return gitHit.Variables;
        }
        var result = Compute(repository, configuration, branch, refs, useCache).Result;
        var text = CacheText(result);
        if (gitKeyedFile is not null) TryWrite(gitKeyedFile, text);
        // Only under keys that still describe the refs: a ref that moved while the version was computed must not leave
        // the new result under the old state's key (or the old one under the new).
        else if (keys?.Contents is { } before && keys.Files.Unchanged(before))
        {
            if (keys.ContentFile is not null) TryWrite(keys.ContentFile, text);
            // The stat key was read before the contents: saved under it only if it still names these refs.
            if (keys.StatFile is not null && keys.StatFileNow() == keys.StatFile) TryWrite(keys.StatFile, text);
        }
        return result;
    }

    /// <summary>
    /// The cached version of <paramref name="branch"/> when the refs have not changed since it was computed, or null;
    /// reads only ref files and the cache, so a short command can answer without libgit2, git or a JSON parser.
    /// </summary>
    public static CachedVersion? TryCached(string repositoryPath, string? branch = null)
    {
        var keys = CacheKeys.Read(repositoryPath, branch);
        var hit = keys?.Lookup();
        if (keys is not null && hit is null) lastMiss = new Miss(repositoryPath, branch, keys);
        return hit;
    }

    private sealed record Miss(string Path, string? Branch, CacheKeys Keys);

    private static Miss? lastMiss;

    /// <summary>
    /// Where the cached version of one state of the refs is: by stat key when the refs have settled, and by content key
    /// (read only when needed: it opens every loose ref). See <see cref="RefFiles"/> for why the stat key is safe.
    /// </summary>
    private sealed class CacheKeys
    {
        private readonly RefFiles files;
        private readonly string? branch;
        private string? contentFile;
        private bool contentRead;

        private CacheKeys(RefFiles files, string? branch)
        {
            this.files = files;
            this.branch = branch;
            StatFile = StatFileNow();
        }

        public static CacheKeys? Read(string repositoryPath, string? branch) =>
            RefFiles.Find(repositoryPath) is { } files ? new CacheKeys(files, branch) : null;

        public string? StatFile { get; }

        /// <summary>The ref files the content key was read from, once it has been.</summary>
        public RefFiles.RefContents? Contents { get; private set; }

        public string? ContentFile
        {
            get
            {
                if (!contentRead)
                {
                    contentFile = PathOf(files.Key(CacheFormat, branch, out var contents));
                    (Contents, contentRead) = (contents, true);
                }
                return contentFile;
            }
        }

        public RefFiles Files => files;

        public string? StatFileNow() => PathOf(files.StatKey(CacheFormat, branch, DateTime.UtcNow));

        private string? PathOf(string? key) => key is null ? null : Path.Combine(files.GitDirectory, CacheFolder, key + CacheExtension);

        /// <summary>A hit by stat key, else by content key (then also saved under the stat key, so the next run is cheaper).</summary>
        public CachedVersion? Lookup()
        {
            if (StatFile is not null && TryRead(StatFile) is { } byStat) return byStat;
            if (ContentFile is null || TryRead(ContentFile) is not { } byContent) return null;
            // Saved under the stat key only if the refs did not move between reading the two keys.
            if (StatFile is not null && StatFileNow() == StatFile) TryWrite(StatFile, CacheText(byContent.Variables, byContent.Json));
            return byContent;
        }
    }

    // The cache file: the format line, the variables as NAME=VALUE lines, an empty line, then the JSON exactly as printed.
    private static string CacheText(VersionVariables v, string? json = null) => CacheFormat + "\n" + v.ToLines() + "\n" + (json ?? v.ToJson());

    private static CachedVersion? TryRead(string cacheFile)
    {
        string text;
        // A miss is the common case after a change: asked first, since a thrown FileNotFoundException costs a short command more.
        if (!File.Exists(cacheFile)) return null;
        try { text = File.ReadAllText(cacheFile); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        try
        {
            var lines = text.Split('\n');
            var blank = Array.IndexOf(lines, "");
            if (lines[0] != CacheFormat || blank < 1) throw new FormatException("not a version cache file");
            return new CachedVersion(VersionVariables.FromLines(lines[1..blank]), string.Join('\n', lines[(blank + 1)..]));
        }
        catch (Exception e) when (e is FormatException or KeyNotFoundException or OverflowException)
        {
            try { File.Delete(cacheFile); } catch (Exception d) when (d is IOException or UnauthorizedAccessException) { }
            return null;
        }
    }

    private static void TryWrite(string cacheFile, string text)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(cacheFile)!);
            var temp = cacheFile + "." + Environment.ProcessId + ".tmp";
            File.WriteAllText(temp, text);
            File.Move(temp, cacheFile, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // read-only: just not cached
    }

    public static Task<VersionVariables> CalculateAsync(string repositoryPath, string? branch = null, bool useCache = true, CancellationToken cancellationToken = default) =>
        Task.Run(() => Calculate(repositoryPath, branch, useCache), cancellationToken);

    /// <summary>Which tag, branch or merge decided the version of <paramref name="branch"/>, and every candidate considered.</summary>
    public static VersionExplanation Explain(string repositoryPath, string? branch = null)
    {
        using var repository = GitRepositoryLocator.Open(repositoryPath);
        return Compute(repository, LoadConfiguration(repository), branch, RefSnapshot.Read(repository, RefFiles.Find(repositoryPath)), useGraphCache: true);
    }

    public static Task<VersionExplanation> ExplainAsync(string repositoryPath, string? branch = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => Explain(repositoryPath, branch), cancellationToken);

    private static VersionConfiguration LoadConfiguration(Repository repository)
    {
        try { return ConfigurationFile.Load(repository.Info.WorkingDirectory); }
        catch (FormatException e) { throw new FlowException(e.Message); }
    }

    private static VersionExplanation Compute(Repository repository, VersionConfiguration configuration, string? branch, RefSnapshot refs, bool useGraphCache)
    {
        if (repository.Info.IsShallow)
            throw new FlowException("This is a shallow clone, so its history is incomplete and the version would be wrong. Run 'git fetch --unshallow' and try again.");
        var graphFile = useGraphCache ? Path.Combine(repository.Info.Path, CacheFolder, GraphFile) : null;
        using var context = VersionContext.Load(repository, configuration, branch, refs, graphFile);
        var uncommitted = repository.Info.IsBare ? 0 : repository.RetrieveStatus(new StatusOptions { IncludeUntracked = false }).Count(s => s.State != FileStatus.Ignored && s.State != FileStatus.Unaltered);
        return new VersionEngine(context).Run(uncommitted);
    }

    private static string CacheKey(Repository repository, string? branch, RefSnapshot refs)
    {
        var sb = new StringBuilder(CacheFormat).Append("/git\n");
        sb.Append(branch ?? repository.Head.CanonicalName).Append('\n');
        sb.Append(refs.Raw ?? throw new InvalidOperationException("The git cache key needs the refs as git listed them."));
        var configPath = ConfigurationFile.Find(repository.Info.WorkingDirectory);
        if (configPath is not null) sb.Append(File.ReadAllText(configPath));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }
}
