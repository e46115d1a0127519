using Capstan.Flow.GitFlow;
using Capstan.Flow.Tests.Support;

namespace Capstan.Flow.Tests.GitFlow;

/// <summary>AVH's pre-flow-*/post-flow-* hooks run with AVH's arguments; a failing pre hook refuses the operation.</summary>
public class HookTests
{
    private static TestRepository Initialised()
    {
        var r = new TestRepository();
        r.Commit("initial");
        r.Git("flow", "init", "-d");
        return r;
    }

    private static void Hook(TestRepository r, string name, string body)
    {
        var path = Path.Combine(r.Path, ".git", "hooks", name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        Executable.Make(path);
    }

    [Fact]
    public async Task Hooks_receive_the_same_arguments_as_under_avh()
    {
        using var ours = Initialised();
        using var avh = Initialised();
        foreach (var r in new[] { ours, avh })
        {
            foreach (var name in new[] { "pre-flow-feature-start", "post-flow-feature-start", "pre-flow-feature-finish", "post-flow-feature-finish",
                         "pre-flow-release-start", "post-flow-release-start", "pre-flow-release-finish", "post-flow-release-finish" })
                Hook(r, name, $"echo \"{name} $@ | $MASTER_BRANCH $DEVELOP_BRANCH $ORIGIN\" >> \"$(git rev-parse --git-dir)/hook.log\"");
        }
        foreach (var args in new[] { new[] { "feature", "start", "login" }, ["feature", "finish", "login"], ["release", "start", "1.0.0"], ["release", "finish", "-m", "r", "1.0.0"] })
            Assert.Equal(0, avh.TryGit(["flow", .. args]).ExitCode);
        using (var flow = GitFlowRepository.Open(ours.Path))
        {
            await flow.StartAsync(FlowBranchKind.Feature, "login");
            await flow.FinishAsync(FlowBranchKind.Feature, "login");
            await flow.StartAsync(FlowBranchKind.Release, "1.0.0");
            await flow.FinishAsync(FlowBranchKind.Release, "1.0.0", new FinishOptions { Message = "r" });
        }
        var expected = File.ReadAllText(Path.Combine(avh.Path, ".git", "hook.log"));
        Assert.Contains("pre-flow-release-finish 1.0.0 origin release/1.0.0 | main develop origin", expected);
        Assert.Equal(expected, File.ReadAllText(Path.Combine(ours.Path, ".git", "hook.log")));
    }

    [Fact]
    public async Task A_failing_pre_hook_refuses_and_changes_nothing()
    {
        using var r = Initialised();
        r.Git("checkout", "-q", "-b", "release/1.0.0");
        r.Commit("bump");
        r.Git("checkout", "-q", "develop");
        Hook(r, "pre-flow-release-finish", "echo 'release notes missing' >&2; exit 3");
        var before = Git.Ok(r.Path, null, "for-each-ref");
        using var flow = GitFlowRepository.Open(r.Path);
        var e = await Assert.ThrowsAsync<FlowException>(() => flow.FinishAsync(FlowBranchKind.Release, "1.0.0"));
        Assert.Contains("pre-flow-release-finish refused", e.Message);
        Assert.Contains("exit code 3", e.Message);
        Assert.Equal(before, Git.Ok(r.Path, null, "for-each-ref"));
        Assert.Null(flow.PendingFinish);
    }

    [Fact]
    public async Task A_failing_post_hook_is_ignored_like_avh()
    {
        using var r = Initialised();
        Hook(r, "post-flow-feature-start", "exit 1");
        using var flow = GitFlowRepository.Open(r.Path);
        var result = await flow.StartAsync(FlowBranchKind.Feature, "x");
        Assert.Equal("feature/x", result.CurrentBranch);
    }
}
