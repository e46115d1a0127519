using System.Globalization;
using Capstan.Flow.Versioning;

namespace Capstan.Flow.Tests.Support;

/// <summary>A real Git repository in a temporary folder whose commits are one minute apart, like GitVersion's test clock.</summary>
public sealed class TestRepository : IDisposable
{
    private static int counter;
    private DateTimeOffset clock = new(2024, 1, 1, 9, 0, 0, TimeSpan.Zero);
    private int files;

    public string Path { get; }

    public TestRepository(string initialBranch = "main", bool init = true)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "capstan-flow-tests",
            $"{Environment.ProcessId}-{Interlocked.Increment(ref counter)}-{Guid.NewGuid():N}"[..24]);
        Directory.CreateDirectory(Path);
        if (!init) return;
        Support.Git.Ok(Path, null, "init", "-q", "-b", initialBranch);
        Support.Git.Ok(Path, null, "config", "user.name", "Test Person");
        Support.Git.Ok(Path, null, "config", "user.email", "test@example.com");
        Support.Git.Ok(Path, null, "config", "commit.gpgsign", "false");
        Support.Git.Ok(Path, null, "config", "tag.gpgsign", "false");
    }

    /// <summary>Environment that stamps the next git object one minute after the previous one.</summary>
    public Dictionary<string, string> NextStamp()
    {
        clock = clock.AddMinutes(1);
        var stamp = clock.ToString("yyyy-MM-ddTHH:mm:ssK", CultureInfo.InvariantCulture);
        return new Dictionary<string, string> { ["GIT_AUTHOR_DATE"] = stamp, ["GIT_COMMITTER_DATE"] = stamp };
    }

    public string Git(params string[] args) => Support.Git.Ok(Path, NextStamp(), args);

    public Support.Git.Result TryGit(params string[] args) => Support.Git.Run(Path, NextStamp(), args);

    public TestRepository Commit(string message = "change")
    {
        files++;
        File.WriteAllText(System.IO.Path.Combine(Path, $"file{files}.txt"), $"{message}\n{files}\n");
        Support.Git.Ok(Path, null, "add", "-A");
        Git("commit", "-q", "-m", message);
        return this;
    }

    public TestRepository Commits(int n)
    {
        for (var i = 0; i < n; i++) Commit();
        return this;
    }

    public TestRepository Branch(string name) { Git("checkout", "-q", "-b", name); return this; }
    public TestRepository Create(string name) { Git("branch", name); return this; }
    public TestRepository Checkout(string name) { Git("checkout", "-q", name); return this; }
    public TestRepository Merge(string name) { Git("merge", "-q", "--no-ff", "--no-edit", name); return this; }
    public TestRepository Tag(string name) { Git("tag", name); return this; }
    public TestRepository AnnotatedTag(string name, string message) { Git("tag", "-a", name, "-m", message); return this; }
    public TestRepository Delete(string name) { Git("branch", "-D", name); return this; }
    public TestRepository TaggedCommit(string tag) => Commit().Tag(tag);

    /// <summary>GitVersion's base fixture: tagged commit on main, then develop with one commit.</summary>
    public TestRepository BaseFixture(string version) => TaggedCommit(version).Branch("develop").Commit();

    public string Head => Support.Git.Ok(Path, null, "rev-parse", "--abbrev-ref", "HEAD").Trim();

    public string Sha(string rev) => Support.Git.Ok(Path, null, "rev-parse", rev).Trim();

    public VersionVariables Variables(string? branch = null) => VersionCalculator.Calculate(Path, branch, useCache: false);

    public string Version(string? branch = null) => Variables(branch).FullSemVer;

    public void Dispose()
    {
        try
        {
            foreach (var f in Directory.EnumerateFiles(Path, "*", SearchOption.AllDirectories))
                File.SetAttributes(f, FileAttributes.Normal);
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
