using Capstan.Flow.GitFlow;
using Capstan.Flow.Tests.Support;

namespace Capstan.Flow.Tests.GitFlow;

/// <summary>Finish options and everyday operations a user notices: squash, keep, default tag message, list, delete, name prefixes.</summary>
public class FlowOperationTests
{
    private static async Task<(TestRepository Repo, GitFlowRepository Flow)> InitialisedAsync()
    {
        var r = new TestRepository();
        r.Commit("initial");
        var flow = GitFlowRepository.Open(r.Path);
        await flow.InitAsync();
        return (r, flow);
    }

    [Fact]
    public async Task Squash_finish_makes_one_commit_with_all_changes()
    {
        var (r, flow) = await InitialisedAsync();
        using (r)
        using (flow)
        {
            await flow.StartAsync(FlowBranchKind.Feature, "search");
            r.Commit("search a").Commit("search b");
            await flow.FinishAsync(FlowBranchKind.Feature, "search", new FinishOptions { Squash = true });
            var head = Git.Ok(r.Path, null, "log", "-1", "--format=%P%n%B", "develop").Split('\n');
            Assert.Single(head[0].Split(' '));
            Assert.Equal("Squashed commit of the following:", head[1]);
            Assert.Contains("search a", string.Join('\n', head));
            Assert.Empty(flow.List(FlowBranchKind.Feature));
            Assert.Equal("", Git.Ok(r.Path, null, "status", "--porcelain"));
        }
    }

    [Fact]
    public async Task Release_finish_without_message_never_opens_an_editor_and_keep_keeps_the_branch()
    {
        var (r, flow) = await InitialisedAsync();
        using (r)
        using (flow)
        {
            await flow.StartAsync(FlowBranchKind.Release, "1.0.0");
            r.Commit("bump");
            var result = await flow.FinishAsync(FlowBranchKind.Release, null, new FinishOptions { Keep = true });
            Assert.Equal("develop", result.CurrentBranch);
            Assert.Equal("1.0.0", Git.Ok(r.Path, null, "tag", "-l", "--format=%(contents:subject)", "1.0.0").Trim());
            Assert.Single(flow.List(FlowBranchKind.Release));
            Assert.Contains("The release was tagged '1.0.0'", result.ToText());
        }
    }

    [Fact]
    public async Task Names_can_be_given_by_unique_prefix_and_unmerged_branches_need_force_to_delete()
    {
        var (r, flow) = await InitialisedAsync();
        using (r)
        using (flow)
        {
            await flow.StartAsync(FlowBranchKind.Feature, "payments-api");
            r.Commit("payments");
            await flow.StartAsync(FlowBranchKind.Feature, "profile", "develop");
            var listed = flow.List(FlowBranchKind.Feature);
            Assert.Equal(["payments-api", "profile"], listed.Select(b => b.ShortName));
            Assert.True(listed[1].IsCurrent);
            var ambiguous = await Assert.ThrowsAsync<FlowException>(() => flow.DeleteAsync(FlowBranchKind.Feature, "p"));
            Assert.Contains("matches several feature branches: payments-api, profile", ambiguous.Message);
            var unmerged = await Assert.ThrowsAsync<FlowException>(() => flow.DeleteAsync(FlowBranchKind.Feature, "pay"));
            Assert.Contains("not merged into 'develop'", unmerged.Message);
            await flow.DeleteAsync(FlowBranchKind.Feature, "pay", new DeleteOptions { Force = true });
            await flow.DeleteAsync(FlowBranchKind.Feature);
            Assert.Empty(flow.List(FlowBranchKind.Feature));
            Assert.Equal("develop", r.Head);
        }
    }

    [Fact]
    public async Task Hotfix_without_commits_is_refused()
    {
        var (r, flow) = await InitialisedAsync();
        using (r)
        using (flow)
        {
            await flow.StartAsync(FlowBranchKind.Hotfix, "1.0.1");
            var e = await Assert.ThrowsAsync<FlowException>(() => flow.FinishAsync(FlowBranchKind.Hotfix, "1.0.1"));
            Assert.Contains("has no commits of its own", e.Message);
        }
    }
}
