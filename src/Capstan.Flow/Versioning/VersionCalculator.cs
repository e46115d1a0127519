using System.Security.Cryptography;
using System.Text;
using LibGit2Sharp;

namespace Capstan.Flow.Versioning;

/// <summary>Computes GitVersion-compatible version variables for a branch, with an on-disk cache keyed by every ref.</summary>
public static class VersionCalculator
{
    private const string CacheFolder = "capstan-version-cache";
    private const string CacheFormat = "capstan-version-cache-v2";
    private const string GraphFile = "commits.graph";

    /// <summary>The version variables of <paramref name="branch"/> (default: the checked-out branch) in the repository at <paramref name="repositoryPath"/>.</summary>
    public static VersionVariables Calculate(string repositoryPath, string? branch = null, bool useCache = true)
    {
        // A cache hit is decided from the ref files alone, before libgit2 or git is started.
        var files = useCache ? RefFiles.Find(repositoryPath) : null;
        string? cacheFile = null;
        if (files?.Key(CacheFormat, branch) is { } key)
        {
            cacheFile = Path.Combine(files.GitDirectory, CacheFolder, key + ".json");
            if (TryReadCached(cacheFile) is { } hit) return hit;
        }
        using var repository = GitRepositoryLocator.Open(repositoryPath);
        var configuration = LoadConfiguration(repository);
        var refs = RefSnapshot.Read(repository);
        if (useCache && cacheFile is null)
        {
            cacheFile = Path.Combine(repository.Info.Path, CacheFolder, CacheKey(repository, branch, refs) + ".json");
            if (TryReadCached(cacheFile) is { } hit) return hit;
        }
        var result = Compute(repository, configuration, branch, refs, useCache).Result;
        if (cacheFile is not null)
        {
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(cacheFile)!);
                var temp = cacheFile + "." + Environment.ProcessId + ".tmp";
                File.WriteAllText(temp, result.ToJson());
                File.Move(temp, cacheFile, overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // read-only: just not cached
        }
        return result;
    }

    private static VersionVariables? TryReadCached(string cacheFile)
    {
        if (!File.Exists(cacheFile)) return null;
        try { return VersionVariables.FromJson(File.ReadAllText(cacheFile)); }
        catch (System.Text.Json.JsonException)
        {
            File.Delete(cacheFile);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or KeyNotFoundException or InvalidOperationException or FormatException) { return null; }
    }

    public static Task<VersionVariables> CalculateAsync(string repositoryPath, string? branch = null, bool useCache = true, CancellationToken cancellationToken = default) =>
        Task.Run(() => Calculate(repositoryPath, branch, useCache), cancellationToken);

    /// <summary>Which tag, branch or merge decided the version of <paramref name="branch"/>, and every candidate considered.</summary>
    public static VersionExplanation Explain(string repositoryPath, string? branch = null)
    {
        using var repository = GitRepositoryLocator.Open(repositoryPath);
        return Compute(repository, LoadConfiguration(repository), branch, RefSnapshot.Read(repository), useGraphCache: true);
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
        var context = VersionContext.Load(repository, configuration, branch, refs, graphFile);
        var uncommitted = repository.Info.IsBare ? 0 : repository.RetrieveStatus(new StatusOptions { IncludeUntracked = false }).Count(s => s.State != FileStatus.Ignored && s.State != FileStatus.Unaltered);
        return new VersionEngine(context).Run(uncommitted);
    }

    private static string CacheKey(Repository repository, string? branch, RefSnapshot refs)
    {
        var sb = new StringBuilder(CacheFormat).Append('\n');
        sb.Append(branch ?? repository.Head.CanonicalName).Append('\n');
        sb.Append(refs.Raw);
        var configPath = ConfigurationFile.Find(repository.Info.WorkingDirectory);
        if (configPath is not null) sb.Append(File.ReadAllText(configPath));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }
}
