using Capstan.Flow.GitFlow;
using Capstan.Flow.Tests.Support;

namespace Capstan.Flow.Tests.GitFlow;

/// <summary>Runs the same sequences with Debian's real git-flow AVH and with Capstan on identical repositories and compares the results.</summary>
public class AvhCompatibilityTests
{
    private static async Task CompareAsync(Action<TestRepository> setUp, string[][] avhCommands, Func<GitFlowRepository, TestRepository, Task> capstan)
    {
        using var avh = new TestRepository();
        using var ours = new TestRepository();
        setUp(avh);
        setUp(ours);
        Assert.Equal(avh.Sha("HEAD"), ours.Sha("HEAD"));
        foreach (var command in avhCommands)
        {
            var r = avh.TryGit(["flow", .. command]);
            Assert.True(r.ExitCode == 0, $"git flow {string.Join(' ', command)} failed: {r.Error}{r.Output}");
        }
        using (var flow = GitFlowRepository.Open(ours.Path))
            await capstan(flow, ours);
        var expected = RepositorySnapshot.Take(avh.Path);
        var actual = RepositorySnapshot.Take(ours.Path);
        Assert.True(expected == actual, $"git-flow AVH:\n{expected}\n\nCapstan:\n{actual}");
    }

    private static void Initialised(TestRepository r)
    {
        r.Commit("initial");
        r.Git("flow", "init", "-d");
    }

    [Fact]
    public async Task Init_writes_the_same_config_and_branches()
    {
        await CompareAsync(r => r.Commit("initial"), [["init", "-d"]], async (f, _) => await f.InitAsync());
    }

    [Fact]
    public async Task Single_commit_feature_is_fast_forwarded_like_avh()
    {
        await CompareAsync(Initialised,
            [["feature", "start", "login"]],
            async (f, r) => await f.StartAsync(FlowBranchKind.Feature, "login"));
    }

    [Fact]
    public async Task Feature_finish_matches_for_one_and_several_commits()
    {
        static void SetUp(TestRepository r)
        {
            Initialised(r);
            r.Branch("feature/one").Commit("one").Checkout("develop");
            r.Branch("feature/two").Commit("two a").Commit("two b").Checkout("develop").Commit("develop moves on");
        }
        await CompareAsync(SetUp,
            [["feature", "finish", "one"], ["feature", "finish", "two"]],
            async (f, _) =>
            {
                await f.FinishAsync(FlowBranchKind.Feature, "one");
                await f.FinishAsync(FlowBranchKind.Feature, "two");
            });
    }

    [Fact]
    public async Task Release_finish_merges_tags_and_back_merges_the_tag()
    {
        static void SetUp(TestRepository r)
        {
            Initialised(r);
            r.Commit("develop work").Branch("release/1.0.0").Commit("bump 1.0.0");
            r.Git("config", "gitflow.branch.release/1.0.0.base", "develop");
        }
        await CompareAsync(SetUp,
            [["release", "finish", "-m", "Release 1.0.0", "1.0.0"]],
            async (f, _) => await f.FinishAsync(FlowBranchKind.Release, "1.0.0", new FinishOptions { Message = "Release 1.0.0" }));
    }

    [Fact]
    public async Task Release_start_and_finish_with_keep_no_tag_and_no_back_merge_options()
    {
        await CompareAsync(r => { Initialised(r); r.Commit("work"); },
            [["release", "start", "2.0.0"], ["release", "finish", "-k", "-n", "2.0.0"]],
            async (f, r) =>
            {
                await f.StartAsync(FlowBranchKind.Release, "2.0.0");
                await f.FinishAsync(FlowBranchKind.Release, "2.0.0", new FinishOptions { Keep = true, NoTag = true });
            });
        await CompareAsync(r => { Initialised(r); r.Commit("work"); },
            [["release", "start", "2.1.0"], ["release", "finish", "-b", "-m", "2.1.0", "2.1.0"]],
            async (f, r) =>
            {
                await f.StartAsync(FlowBranchKind.Release, "2.1.0");
                await f.FinishAsync(FlowBranchKind.Release, "2.1.0", new FinishOptions { NoBackMerge = true, Message = "2.1.0" });
            });
    }

    [Fact]
    public async Task Hotfix_finish_from_main_and_from_a_support_branch()
    {
        static void SetUp(TestRepository r)
        {
            Initialised(r);
            r.Checkout("main").AnnotatedTag("1.0.0", "Release 1.0.0").Checkout("develop").Commit("develop work");
        }
        await CompareAsync(SetUp,
            [["hotfix", "start", "1.0.1"]],
            async (f, r) => await f.StartAsync(FlowBranchKind.Hotfix, "1.0.1"));

        static void WithHotfix(TestRepository r)
        {
            SetUp(r);
            r.Git("checkout", "-q", "-b", "hotfix/1.0.1", "main");
            r.Git("config", "gitflow.branch.hotfix/1.0.1.base", "main");
            r.Commit("fix 1.0.1");
        }
        await CompareAsync(WithHotfix,
            [["hotfix", "finish", "-m", "Hotfix 1.0.1", "1.0.1"]],
            async (f, _) => await f.FinishAsync(FlowBranchKind.Hotfix, "1.0.1", new FinishOptions { Message = "Hotfix 1.0.1" }));

        static void WithSupport(TestRepository r)
        {
            SetUp(r);
            r.Git("checkout", "-q", "-b", "support/1.0", "1.0.0");
            r.Git("config", "gitflow.branch.support/1.0.base", "1.0.0");
            r.Git("checkout", "-q", "-b", "hotfix/1.0.2", "support/1.0");
            r.Git("config", "gitflow.branch.hotfix/1.0.2.base", "support/1.0");
            r.Commit("fix on support");
        }
        await CompareAsync(WithSupport,
            [["hotfix", "finish", "-m", "Hotfix 1.0.2", "1.0.2"]],
            async (f, _) => await f.FinishAsync(FlowBranchKind.Hotfix, "1.0.2", new FinishOptions { Message = "Hotfix 1.0.2" }));
    }

    [Fact]
    public async Task Full_cycle_with_bugfix_release_and_support_start()
    {
        using var avh = new TestRepository();
        using var ours = new TestRepository();
        Initialised(avh);
        Initialised(ours);
        using var flow = GitFlowRepository.Open(ours.Path);
        void Avh(params string[] args)
        {
            var r = avh.TryGit(["flow", .. args]);
            Assert.True(r.ExitCode == 0, $"git flow {string.Join(' ', args)} failed: {r.Error}{r.Output}");
        }
        Avh("bugfix", "start", "b1");
        await flow.StartAsync(FlowBranchKind.Bugfix, "b1");
        avh.Commit("fix b1");
        ours.Commit("fix b1");
        Avh("bugfix", "finish", "b1");
        await flow.FinishAsync(FlowBranchKind.Bugfix, "b1");
        Avh("release", "start", "1.1.0");
        await flow.StartAsync(FlowBranchKind.Release, "1.1.0");
        avh.Commit("bump 1.1.0");
        ours.Commit("bump 1.1.0");
        Avh("release", "finish", "-m", "Release 1.1.0", "1.1.0");
        await flow.FinishAsync(FlowBranchKind.Release, "1.1.0", new FinishOptions { Message = "Release 1.1.0" });
        Avh("support", "start", "1.1", "1.1.0");
        await flow.StartAsync(FlowBranchKind.Support, "1.1", "1.1.0");
        var expected = RepositorySnapshot.Take(avh.Path);
        var actual = RepositorySnapshot.Take(ours.Path);
        Assert.True(expected == actual, $"git-flow AVH:\n{expected}\n\nCapstan:\n{actual}");
    }
}
