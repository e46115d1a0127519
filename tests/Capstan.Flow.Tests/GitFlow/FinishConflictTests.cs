using Capstan.Flow.GitFlow;
using Capstan.Flow.Tests.Support;

namespace Capstan.Flow.Tests.GitFlow;

/// <summary>A finish that meets a conflict stops cleanly; continue completes it and abort puts everything back.</summary>
public class FinishConflictTests
{
    private static TestRepository ConflictingRelease()
    {
        var r = new TestRepository();
        r.Commit("initial");
        r.Git("flow", "init", "-d");
        File.WriteAllText(Path.Combine(r.Path, "version.txt"), "0.9\n");
        r.Git("add", "version.txt");
        r.Git("commit", "-q", "-m", "version file");
        r.Git("checkout", "-q", "main");
        File.WriteAllText(Path.Combine(r.Path, "version.txt"), "0.9.1 hotfixed on main\n");
        r.Git("add", "version.txt");
        r.Git("commit", "-q", "-m", "main changes the same line");
        r.Git("checkout", "-q", "develop");
        r.Git("checkout", "-q", "-b", "release/1.0.0");
        r.Git("config", "gitflow.branch.release/1.0.0.base", "develop");
        File.WriteAllText(Path.Combine(r.Path, "version.txt"), "1.0.0\n");
        r.Git("commit", "-q", "-am", "bump to 1.0.0");
        return r;
    }

    private static Dictionary<string, string> Refs(TestRepository r) =>
        Git.Ok(r.Path, null, "for-each-ref", "--format=%(refname) %(objectname)").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ')).ToDictionary(p => p[0], p => p[1]);

    [Fact]
    public async Task Conflict_stops_with_a_saved_state_and_says_what_to_do()
    {
        using var r = ConflictingRelease();
        using var flow = GitFlowRepository.Open(r.Path);
        var e = await Assert.ThrowsAsync<FlowConflictException>(() => flow.FinishAsync(FlowBranchKind.Release, "1.0.0", new FinishOptions { Message = "Release 1.0.0" }));
        Assert.Contains("version.txt", e.Message);
        Assert.Contains("capstan flow continue", e.Message);
        Assert.Contains("capstan flow abort", e.Message);
        Assert.Equal(["version.txt"], e.ConflictedPaths);
        Assert.True(File.Exists(Path.Combine(r.Path, ".git", "capstan-flow", "state.json")));
        Assert.Equal("main", r.Head);
        Assert.True(File.Exists(Path.Combine(r.Path, ".git", "MERGE_HEAD")));
        Assert.NotNull(flow.PendingFinish);
        var again = await Assert.ThrowsAsync<FlowException>(() => flow.StartAsync(FlowBranchKind.Feature, "x"));
        Assert.Contains("still in progress", again.Message);
    }

    [Fact]
    public async Task Continue_after_resolving_completes_merge_tag_back_merge_and_delete()
    {
        using var r = ConflictingRelease();
        using (var flow = GitFlowRepository.Open(r.Path))
            await Assert.ThrowsAsync<FlowConflictException>(() => flow.FinishAsync(FlowBranchKind.Release, "1.0.0", new FinishOptions { Message = "Release 1.0.0" }));

        using (var flow = GitFlowRepository.Open(r.Path))
        {
            var unresolved = await Assert.ThrowsAsync<FlowException>(() => flow.ContinueAsync());
            Assert.Contains("Conflicts remain in version.txt", unresolved.Message);
        }

        File.WriteAllText(Path.Combine(r.Path, "version.txt"), "1.0.0\n");
        r.Git("add", "version.txt");
        using (var flow = GitFlowRepository.Open(r.Path))
        {
            var result = await flow.ContinueAsync();
            Assert.Equal("develop", result.CurrentBranch);
            Assert.Null(flow.PendingFinish);
        }
        var main = Git.Ok(r.Path, null, "log", "-1", "--format=%s%n%P", "main").Split('\n');
        Assert.Equal("Merge branch 'release/1.0.0'", main[0]);
        Assert.Equal(2, main[1].Split(' ').Length);
        Assert.Equal(r.Sha("main"), r.Sha("1.0.0^{commit}"));
        Assert.Equal("Release 1.0.0", Git.Ok(r.Path, null, "tag", "-l", "--format=%(contents:subject)", "1.0.0").Trim());
        Assert.StartsWith("Merge tag '1.0.0' into develop", Git.Ok(r.Path, null, "log", "-1", "--format=%s", "develop"));
        Assert.Equal(0, Git.Run(r.Path, null, "merge-base", "--is-ancestor", "main", "develop").ExitCode);
        Assert.Equal(1, Git.Run(r.Path, null, "rev-parse", "--verify", "-q", "refs/heads/release/1.0.0").ExitCode);
        Assert.Equal("1.0.0\n", File.ReadAllText(Path.Combine(r.Path, "version.txt")));
    }

    [Fact]
    public async Task Continue_also_works_when_the_user_committed_the_merge_with_git()
    {
        using var r = ConflictingRelease();
        using (var flow = GitFlowRepository.Open(r.Path))
            await Assert.ThrowsAsync<FlowConflictException>(() => flow.FinishAsync(FlowBranchKind.Release, "1.0.0", new FinishOptions { Message = "Release 1.0.0" }));
        File.WriteAllText(Path.Combine(r.Path, "version.txt"), "1.0.0\n");
        r.Git("add", "version.txt");
        r.Git("commit", "-q", "--no-edit");
        Assert.Equal("Merge branch 'release/1.0.0'", Git.Ok(r.Path, null, "log", "-1", "--format=%s").Trim());
        using var flow2 = GitFlowRepository.Open(r.Path);
        await flow2.ContinueAsync();
        Assert.Equal(r.Sha("main"), r.Sha("1.0.0^{commit}"));
        Assert.Equal("develop", r.Head);
    }

    [Fact]
    public async Task Abort_restores_every_branch_tag_and_head()
    {
        using var r = ConflictingRelease();
        var before = Refs(r);
        var headBefore = r.Head;
        using (var flow = GitFlowRepository.Open(r.Path))
            await Assert.ThrowsAsync<FlowConflictException>(() => flow.FinishAsync(FlowBranchKind.Release, "1.0.0", new FinishOptions { Message = "Release 1.0.0" }));
        using (var flow = GitFlowRepository.Open(r.Path))
        {
            var result = await flow.AbortAsync();
            Assert.Equal(headBefore, result.CurrentBranch);
        }
        Assert.Equal(before, Refs(r));
        Assert.Equal(headBefore, r.Head);
        Assert.False(File.Exists(Path.Combine(r.Path, ".git", "MERGE_HEAD")));
        Assert.False(File.Exists(Path.Combine(r.Path, ".git", "capstan-flow", "state.json")));
        Assert.Equal("", Git.Ok(r.Path, null, "status", "--porcelain"));
        Assert.Equal("1.0.0\n", File.ReadAllText(Path.Combine(r.Path, "version.txt")));
    }

    [Fact]
    public async Task Abort_after_a_conflict_on_the_develop_back_merge_removes_the_tag_and_main_merge()
    {
        using var r = new TestRepository();
        r.Commit("initial");
        r.Git("flow", "init", "-d");
        File.WriteAllText(Path.Combine(r.Path, "notes.txt"), "base\n");
        r.Git("add", "notes.txt");
        r.Git("commit", "-q", "-m", "notes");
        r.Git("checkout", "-q", "-b", "release/2.0.0");
        r.Git("config", "gitflow.branch.release/2.0.0.base", "develop");
        File.WriteAllText(Path.Combine(r.Path, "notes.txt"), "release\n");
        r.Git("commit", "-q", "-am", "release notes");
        r.Git("checkout", "-q", "develop");
        File.WriteAllText(Path.Combine(r.Path, "notes.txt"), "develop\n");
        r.Git("commit", "-q", "-am", "develop notes");
        var before = Refs(r);
        using (var flow = GitFlowRepository.Open(r.Path))
        {
            var e = await Assert.ThrowsAsync<FlowConflictException>(() => flow.FinishAsync(FlowBranchKind.Release, "2.0.0", new FinishOptions { Message = "2.0.0" }));
            Assert.Contains("'2.0.0' into 'develop'", e.Message);
        }
        Assert.Equal("develop", r.Head);
        Assert.Equal(0, Git.Run(r.Path, null, "rev-parse", "--verify", "-q", "refs/tags/2.0.0").ExitCode);
        using (var flow = GitFlowRepository.Open(r.Path))
            await flow.AbortAsync();
        Assert.Equal(before, Refs(r));
        Assert.Equal("develop", r.Head);
    }

    [Fact]
    public async Task Nothing_to_continue_or_abort_is_a_clear_refusal()
    {
        using var r = new TestRepository();
        r.Commit("initial");
        using var flow = GitFlowRepository.Open(r.Path);
        await flow.InitAsync();
        var c = await Assert.ThrowsAsync<FlowException>(() => flow.ContinueAsync());
        Assert.Contains("no finish to continue", c.Message);
        var a = await Assert.ThrowsAsync<FlowException>(() => flow.AbortAsync());
        Assert.Contains("no finish to abort", a.Message);
    }
}
