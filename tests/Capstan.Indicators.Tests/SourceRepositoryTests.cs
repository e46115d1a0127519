using Capstan.Core.Git;
using Capstan.Indicators.Sources;

namespace Capstan.Indicators.Tests;

/// <summary>The changes between two tags are what `git log v1..v2` lists, merges included, read from a real repository.</summary>
public sealed class SourceRepositoryTests
{
    [Fact]
    public async Task Between_two_tags_matches_git_log_across_a_merged_feature_branch()
    {
        using var repo = await SourceRepo.CreateAsync();
        var t0 = KnownHistory.At("2026-11-01 09:00");
        await repo.CommitAsync("base", t0); await repo.TagAsync("v1.0.0");
        async Task Git(params string[] args)
        {
            var r = await GitCli.RunAsync(repo.Path, args, CancellationToken.None, environment: new Dictionary<string, string>
            {
                ["GIT_AUTHOR_NAME"] = "Dev",
                ["GIT_AUTHOR_EMAIL"] = "d@x",
                ["GIT_COMMITTER_NAME"] = "Dev",
                ["GIT_COMMITTER_EMAIL"] = "d@x",
                ["GIT_AUTHOR_DATE"] = "1793790000 +0000",
                ["GIT_COMMITTER_DATE"] = "1793790000 +0000",
            });
            Assert.True(r.Ok, $"git {string.Join(' ', args)}: {r.Error}");
        }
        await Git("checkout", "--quiet", "-b", "feature");
        await repo.CommitAsync("f1", t0.AddHours(1));
        await repo.CommitAsync("f2", t0.AddHours(2));
        await Git("checkout", "--quiet", "main");
        await repo.CommitAsync("m1", t0.AddHours(3));
        await Git("merge", "--quiet", "--no-ff", "-m", "merge feature", "feature");
        await repo.TagAsync("v1.1.0");

        var log = await GitCli.RunAsync(repo.Path, ["log", "--all", "--format=%H %ct %P"], CancellationToken.None);
        var tags = await GitCli.RunAsync(repo.Path, ["for-each-ref", "--format=%(refname:strip=2) %(objectname) %(*objectname)", "refs/tags/"], CancellationToken.None);
        var graph = new SourceRepository("api", log.Output, tags.Output);
        var expected = (await GitCli.RunAsync(repo.Path, ["log", "--format=%H", "v1.0.0..v1.1.0"], CancellationToken.None)).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var changes = graph.Between(graph.CommitOf("1.0.0"), graph.CommitOf("1.1.0")!);
        Assert.Equal(4, expected.Length);
        Assert.Equal(expected.Order(), changes.Select(c => c.Sha).Order());
        Assert.Equal(t0.AddHours(1), changes.Min(c => c.At));
        Assert.Equal("1.0.0", graph.VersionBefore("1.1.0", Capstan.Core.SemanticVersionOrder.Instance));
        Assert.Empty(graph.Between(graph.CommitOf("1.1.0"), graph.CommitOf("1.0.0")!)); // a rollback brings no commits
    }

    [Fact]
    public async Task A_first_deploy_of_a_tenth_release_candidate_counts_the_changes_since_the_ninth()
    {
        using var repo = await SourceRepo.CreateAsync();
        var t0 = KnownHistory.At("2026-11-01 09:00");
        await repo.CommitAsync("rc2", t0); await repo.TagAsync("v1.0.0-rc.2");
        await repo.CommitAsync("rc9", t0.AddHours(1)); await repo.TagAsync("v1.0.0-rc.9");
        await repo.CommitAsync("rc10", t0.AddHours(2)); await repo.TagAsync("v1.0.0-rc.10");

        var log = await GitCli.RunAsync(repo.Path, ["log", "--all", "--format=%H %ct %P"], CancellationToken.None);
        var tags = await GitCli.RunAsync(repo.Path, ["for-each-ref", "--format=%(refname:strip=2) %(objectname) %(*objectname)", "refs/tags/"], CancellationToken.None);
        var graph = new SourceRepository("api", log.Output, tags.Output);
        // Lead time for rc.10 starts from the commits after rc.9, not after rc.2 (as text, "rc.10" sorts before "rc.2").
        Assert.Equal("1.0.0-rc.9", graph.VersionBefore("1.0.0-rc.10", Capstan.Core.SemanticVersionOrder.Instance));
        Assert.Equal("1.0.0-rc.10", graph.VersionBefore("1.0.0", Capstan.Core.SemanticVersionOrder.Instance));
        Assert.Equal([repo.Shas["rc10"]], graph.Between(graph.CommitOf("1.0.0-rc.9"), graph.CommitOf("1.0.0-rc.10")!).Select(c => c.Sha));
    }
}
