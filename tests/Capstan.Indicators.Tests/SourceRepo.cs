using System.Globalization;
using Capstan.Core.Git;

namespace Capstan.Indicators.Tests;

/// <summary>A real Git repository in a temp folder whose commits carry set author and committer times.</summary>
public sealed class SourceRepo : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "capstan-src-" + Guid.NewGuid().ToString("N")[..10]);
    public Dictionary<string, string> Shas { get; } = new();

    private SourceRepo() { }

    public static async Task<SourceRepo> CreateAsync()
    {
        var r = new SourceRepo();
        Directory.CreateDirectory(r.Path);
        await r.GitAsync(null, "init", "--quiet", "-b", "main");
        return r;
    }

    /// <summary>Commits a change at a set time (both author and committer date) and remembers its sha under <paramref name="label"/>.</summary>
    public async Task<string> CommitAsync(string label, DateTimeOffset at)
    {
        // One file per commit, so branches never conflict when they are merged.
        await File.WriteAllTextAsync(System.IO.Path.Combine(Path, label + ".txt"), label + "\n");
        await GitAsync(null, "add", label + ".txt");
        var date = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) + " +0000";
        await GitAsync(new Dictionary<string, string> { ["GIT_AUTHOR_DATE"] = date, ["GIT_COMMITTER_DATE"] = date }, "commit", "--quiet", "-m", label);
        var sha = (await GitAsync(null, "rev-parse", "HEAD")).Trim();
        Shas[label] = sha;
        return sha;
    }

    public Task TagAsync(string tag) => GitAsync(null, "tag", "-a", tag, "-m", "release " + tag);

    private async Task<string> GitAsync(IDictionary<string, string>? env, params string[] args)
    {
        var all = new Dictionary<string, string>
        {
            ["GIT_AUTHOR_NAME"] = "Dev",
            ["GIT_AUTHOR_EMAIL"] = "dev@example.com",
            ["GIT_COMMITTER_NAME"] = "Dev",
            ["GIT_COMMITTER_EMAIL"] = "dev@example.com",
        };
        if (env is not null) foreach (var (k, v) in env) all[k] = v;
        var r = await GitCli.RunAsync(Path, args, CancellationToken.None, environment: all);
        if (!r.Ok) throw new InvalidOperationException($"git {string.Join(' ', args)}: {r.Error}");
        return r.Output;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
