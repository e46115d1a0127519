using Capstan.Flow.GitFlow;
using Capstan.Flow.Tests.Support;
using Capstan.Flow.Versioning;

namespace Capstan.Flow.Tests.GitFlow;

/// <summary>Each kind of bad input gets a sentence that says what happened and what to do, and changes nothing.</summary>
public class BadInputTests
{
    private static TestRepository Initialised()
    {
        var r = new TestRepository();
        r.Commit("initial");
        r.Git("flow", "init", "-d");
        return r;
    }

    [Fact]
    public void Not_a_git_repository()
    {
        using var r = new TestRepository(init: false);
        var e = Assert.Throws<FlowException>(() => GitFlowRepository.Open(r.Path));
        Assert.Contains("is not inside a Git repository", e.Message);
        var v = Assert.Throws<FlowException>(() => VersionCalculator.Calculate(r.Path));
        Assert.Contains("pass --repo", v.Message);
    }

    [Fact]
    public async Task Not_initialised()
    {
        using var r = new TestRepository();
        r.Commit();
        using var flow = GitFlowRepository.Open(r.Path);
        var e = await Assert.ThrowsAsync<FlowException>(() => flow.StartAsync(FlowBranchKind.Feature, "x"));
        Assert.Contains("flow init -d", e.Message);
    }

    [Fact]
    public async Task Dirty_work_tree()
    {
        using var r = Initialised();
        File.WriteAllText(Path.Combine(r.Path, "file1.txt"), "edited\n");
        using var flow = GitFlowRepository.Open(r.Path);
        var e = await Assert.ThrowsAsync<FlowException>(() => flow.StartAsync(FlowBranchKind.Release, "1.0.0"));
        Assert.Contains("uncommitted changes", e.Message);
        Assert.Contains("git stash", e.Message);
        Assert.Empty(flow.List(FlowBranchKind.Release));
        Assert.Equal("edited\n", File.ReadAllText(Path.Combine(r.Path, "file1.txt")));
    }

    [Fact]
    public async Task Detached_head()
    {
        using var r = Initialised();
        r.Git("checkout", "-q", "--detach");
        using var flow = GitFlowRepository.Open(r.Path);
        var e = await Assert.ThrowsAsync<FlowException>(() => flow.FinishAsync(FlowBranchKind.Feature));
        Assert.Contains("HEAD is detached", e.Message);
        var v = Assert.Throws<FlowException>(() => VersionCalculator.Calculate(r.Path));
        Assert.Contains("--branch", v.Message);
    }

    [Fact]
    public async Task Branch_already_exists()
    {
        using var r = Initialised();
        using var flow = GitFlowRepository.Open(r.Path);
        await flow.StartAsync(FlowBranchKind.Feature, "login");
        r.Commit("login work");
        var tip = r.Sha("feature/login");
        r.Git("checkout", "-q", "develop");
        var e = await Assert.ThrowsAsync<FlowException>(() => flow.StartAsync(FlowBranchKind.Feature, "login"));
        Assert.Contains("'feature/login' already exists", e.Message);
        Assert.Equal(tip, r.Sha("feature/login"));
        Assert.Equal("develop", r.Head);
    }

    [Fact]
    public async Task Missing_develop_branch()
    {
        using var r = Initialised();
        r.Git("checkout", "-q", "main");
        r.Git("branch", "-D", "develop");
        using var flow = GitFlowRepository.Open(r.Path);
        var e = await Assert.ThrowsAsync<FlowException>(() => flow.StartAsync(FlowBranchKind.Feature, "x"));
        Assert.Contains("'develop' does not exist", e.Message);
    }

    [Theory]
    [InlineData("banana")]
    [InlineData("1.x")]
    [InlineData("")]
    public async Task Invalid_version_name(string version)
    {
        using var r = Initialised();
        using var flow = GitFlowRepository.Open(r.Path);
        var e = await Assert.ThrowsAsync<FlowException>(() => flow.StartAsync(FlowBranchKind.Release, version));
        Assert.Contains("release start 1.2.0", e.Message);
        Assert.Empty(flow.List(FlowBranchKind.Release));
    }

    [Fact]
    public async Task Tag_already_exists()
    {
        using var r = Initialised();
        r.Git("tag", "1.0.0", "main");
        using var flow = GitFlowRepository.Open(r.Path);
        var e = await Assert.ThrowsAsync<FlowException>(() => flow.StartAsync(FlowBranchKind.Release, "1.0.0"));
        Assert.Contains("tag '1.0.0' already exists", e.Message);
        Assert.Empty(flow.List(FlowBranchKind.Release));
    }

    [Fact]
    public async Task Tag_created_elsewhere_before_the_finish()
    {
        using var r = Initialised();
        using var flow = GitFlowRepository.Open(r.Path);
        await flow.StartAsync(FlowBranchKind.Release, "1.1.0");
        r.Commit("release prep");
        r.Git("tag", "1.1.0", "main");
        var before = (Main: r.Sha("main"), Develop: r.Sha("develop"), Release: r.Sha("release/1.1.0"));
        var e = await Assert.ThrowsAsync<FlowException>(() => flow.FinishAsync(FlowBranchKind.Release, "1.1.0", new FinishOptions { Message = "Release 1.1.0" }));
        Assert.Contains("tag '1.1.0' already exists and does not point at the merge of 'release/1.1.0'", e.Message);
        Assert.Equal(before, (r.Sha("main"), r.Sha("develop"), r.Sha("release/1.1.0")));
        Assert.Equal("release/1.1.0", r.Head);
        Assert.Null(flow.PendingFinish);
    }

    [Fact]
    public async Task Second_release_branch_is_refused()
    {
        using var r = Initialised();
        using var flow = GitFlowRepository.Open(r.Path);
        await flow.StartAsync(FlowBranchKind.Release, "1.0.0");
        var e = await Assert.ThrowsAsync<FlowException>(() => flow.StartAsync(FlowBranchKind.Release, "1.1.0"));
        Assert.Contains("already a release branch 'release/1.0.0'", e.Message);
    }

    [Fact]
    public async Task Remote_that_rejects_the_push()
    {
        using var remote = new TestRepository(init: false);
        Git.Ok(remote.Path, null, "init", "-q", "--bare");
        File.WriteAllText(Path.Combine(remote.Path, "hooks", "pre-receive"), "#!/bin/sh\necho 'pushes are frozen' >&2\nexit 1\n");
        Executable.Make(Path.Combine(remote.Path, "hooks", "pre-receive"));
        using var r = Initialised();
        r.Git("remote", "add", "origin", remote.Path);
        using var flow = GitFlowRepository.Open(r.Path);
        await flow.StartAsync(FlowBranchKind.Feature, "x");
        var e = await Assert.ThrowsAsync<FlowException>(() => flow.PublishAsync(FlowBranchKind.Feature, "x"));
        Assert.Contains("Publishing 'feature/x' to 'origin' failed", e.Message);
        Assert.Contains("pushes are frozen", e.Message);
        Assert.Equal("", Git.Ok(remote.Path, null, "for-each-ref").Trim());
    }

    [Fact]
    public async Task Shallow_clone()
    {
        using var source = Initialised();
        source.Commits(3);
        using var clone = new TestRepository(init: false);
        Git.Ok(clone.Path, null, "clone", "-q", "--depth", "1", "--no-single-branch", "file://" + source.Path, ".");
        var v = Assert.Throws<FlowException>(() => VersionCalculator.Calculate(clone.Path));
        Assert.Contains("git fetch --unshallow", v.Message);
        Git.Ok(clone.Path, null, "config", "user.name", "T");
        Git.Ok(clone.Path, null, "config", "user.email", "t@example.com");
        using var flow = GitFlowRepository.Open(clone.Path);
        await flow.InitAsync();
        var e = await Assert.ThrowsAsync<FlowException>(() => flow.StartAsync(FlowBranchKind.Feature, "x"));
        Assert.Contains("shallow clone", e.Message);
    }

    [Fact]
    public void Tags_that_are_not_versions_are_ignored_by_version()
    {
        using var r = new TestRepository();
        r.Commit().Tag("nightly").Tag("v-latest").Tag("1.0.0").Commit().Tag("release-candidate").Tag("2.x").Tag("v1.2.3.4.5");
        Assert.Equal("1.0.1-1", r.Version());
        Assert.Equal("1.0.0", VersionCalculator.Explain(r.Path).Candidates.Single(c => c.Source.StartsWith("Git tag", StringComparison.Ordinal)).BaseVersion);
    }

    [Fact]
    public void Unknown_branch_for_version()
    {
        using var r = new TestRepository();
        r.Commit();
        var e = Assert.Throws<FlowException>(() => VersionCalculator.Calculate(r.Path, "nope"));
        Assert.Contains("no local branch 'nope'", e.Message);
        Assert.Contains("Known branches: main", e.Message);
    }
}
