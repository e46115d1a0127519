using Capstan.Flow.GitFlow;
using Capstan.Flow.Tests.Support;

namespace Capstan.Flow.Tests.GitFlow;

/// <summary>publish, track and finish with push against a real bare remote, through the git CLI.</summary>
public class RemoteTests
{
    [Fact]
    public async Task Publish_track_and_finish_with_push()
    {
        using var remote = new TestRepository(init: false);
        Git.Ok(remote.Path, null, "init", "-q", "--bare", "-b", "main");
        using var alice = new TestRepository();
        alice.Commit("initial");
        alice.Git("remote", "add", "origin", remote.Path);
        using (var flow = GitFlowRepository.Open(alice.Path))
        {
            await flow.InitAsync();
            alice.Git("push", "-q", "origin", "main", "develop");
            await flow.StartAsync(FlowBranchKind.Feature, "shared");
            alice.Commit("shared work");
            var published = await flow.PublishAsync(FlowBranchKind.Feature);
            Assert.Contains("created on 'origin'", published.Actions[0]);
        }
        Assert.Equal(alice.Sha("feature/shared"), Git.Ok(remote.Path, null, "rev-parse", "feature/shared").Trim());
        Assert.Equal("origin/feature/shared", Git.Ok(alice.Path, null, "rev-parse", "--abbrev-ref", "feature/shared@{upstream}").Trim());

        using var bob = new TestRepository(init: false);
        Git.Ok(bob.Path, null, "clone", "-q", remote.Path, ".");
        Git.Ok(bob.Path, null, "config", "user.name", "Bob");
        Git.Ok(bob.Path, null, "config", "user.email", "bob@example.com");
        using (var flow = GitFlowRepository.Open(bob.Path))
        {
            await flow.InitAsync();
            var tracked = await flow.TrackAsync(FlowBranchKind.Feature, "shared");
            Assert.Equal("feature/shared", tracked.CurrentBranch);
            bob.Commit("bob's part");
            Git.Ok(bob.Path, null, "push", "-q");
            await flow.FinishAsync(FlowBranchKind.Feature, "shared", new FinishOptions { Push = true });
        }
        Assert.Equal(bob.Sha("develop"), Git.Ok(remote.Path, null, "rev-parse", "develop").Trim());
        Assert.NotEqual(0, Git.Run(remote.Path, null, "rev-parse", "--verify", "-q", "refs/heads/feature/shared").ExitCode);

        using (var flow = GitFlowRepository.Open(bob.Path))
        {
            await flow.StartAsync(FlowBranchKind.Release, "1.0.0");
            bob.Commit("bump");
            await flow.FinishAsync(FlowBranchKind.Release, "1.0.0", new FinishOptions { Push = true, Message = "Release 1.0.0" });
        }
        Assert.Equal(bob.Sha("main"), Git.Ok(remote.Path, null, "rev-parse", "main").Trim());
        Assert.Equal(bob.Sha("1.0.0^{commit}"), Git.Ok(remote.Path, null, "rev-parse", "1.0.0^{commit}").Trim());
    }

    [Fact]
    public async Task Finish_refuses_when_the_local_branch_is_behind_origin()
    {
        using var remote = new TestRepository(init: false);
        Git.Ok(remote.Path, null, "init", "-q", "--bare", "-b", "main");
        using var r = new TestRepository();
        r.Commit("initial");
        r.Git("remote", "add", "origin", remote.Path);
        using var flow = GitFlowRepository.Open(r.Path);
        await flow.InitAsync();
        await flow.StartAsync(FlowBranchKind.Feature, "x");
        r.Commit("x");
        r.Git("push", "-q", "origin", "develop", "feature/x");
        r.Git("checkout", "-q", "develop");
        r.Commit("develop moves on");
        r.Git("push", "-q", "origin", "develop");
        r.Git("reset", "-q", "--hard", "HEAD~1");
        var e = await Assert.ThrowsAsync<FlowException>(() => flow.FinishAsync(FlowBranchKind.Feature, "x"));
        Assert.Contains("'develop' is behind 'origin/develop'", e.Message);
    }
}
