using Capstan.Flow.Tests.Support;
using Capstan.Flow.Versioning;

namespace Capstan.Flow.Tests.Versioning;

/// <summary>GitVersion.yml overrides, the explanation, JSON output and the on-disk cache.</summary>
public class VersionFeatureTests
{
    [Fact]
    public void GitVersion_yml_overrides_labels_modes_increments_prefix_and_next_version()
    {
        using var r = new TestRepository();
        r.Commit().Tag("rel-1.0.0").Branch("develop").Commit();
        File.WriteAllText(Path.Combine(r.Path, "GitVersion.yml"), """
            workflow: GitFlow/v1
            tag-prefix: 'rel-'
            branches:
              develop:
                label: dev
                increment: Major
                mode: ManualDeployment
              feature:
                label: 'feat-{BranchName}'
            """);
        Assert.Equal("2.0.0-dev.1+1", r.Version());
        r.Branch("feature/x").Commit();
        Assert.Equal("2.0.0-feat-x.1+2", r.Version());
        File.WriteAllText(Path.Combine(r.Path, "GitVersion.yml"), "next-version: 5.0.0\n");
        Assert.Equal("5.0.0-alpha.2", r.Version("develop"));
    }

    [Fact]
    public void Unsupported_workflow_is_refused_with_a_sentence()
    {
        using var r = new TestRepository();
        r.Commit();
        File.WriteAllText(Path.Combine(r.Path, "GitVersion.yml"), "workflow: GitHubFlow/v1\n");
        var e = Assert.Throws<FlowException>(() => r.Version());
        Assert.Contains("GitFlow/v1", e.Message);
    }

    [Fact]
    public void Explain_names_the_deciding_source()
    {
        using var r = new TestRepository();
        r.TaggedCommit("1.0.0").Branch("develop").Commit().Branch("release/2.0.0").Commit().Checkout("develop");
        var explanation = VersionCalculator.Explain(r.Path);
        Assert.Equal("2.1.0-alpha.0", explanation.Result.FullSemVer);
        Assert.Contains(explanation.Candidates, c => c.Source.StartsWith("Git tag '1.0.0'", StringComparison.Ordinal));
        Assert.StartsWith("Release branch exists", explanation.Chosen!.Source);
        Assert.Contains("Decided by: Release branch exists -> Version in branch name 'release/2.0.0'", explanation.ToText());
        var tagged = VersionCalculator.Explain(r.Path, "main");
        Assert.Contains("Git tag '1.0.0'", tagged.TaggedCommitShortcut);
    }

    [Fact]
    public void Json_has_gitversion_names_in_gitversion_order()
    {
        using var r = new TestRepository();
        r.TaggedCommit("1.0.0").Branch("hotfix/1.0.1").Commit();
        var json = r.Variables().ToJson();
        var names = System.Text.Json.JsonDocument.Parse(json).RootElement.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(VersionVariables.Names, names);
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
        Assert.Contains("\"BuildMetaData\": 1,", json);
        Assert.Equal(VersionVariables.FromJson(json), r.Variables());
    }

    [Fact]
    public void Cache_is_used_until_a_ref_moves()
    {
        using var r = new TestRepository();
        r.TaggedCommit("1.0.0").Commit();
        Assert.Equal("1.0.1-1", VersionCalculator.Calculate(r.Path).FullSemVer);
        var folder = Path.Combine(r.Path, ".git", "capstan-version-cache");
        var file = Assert.Single(Directory.GetFiles(folder, "*.json"));
        // A planted value proves the second call reads the cache instead of walking history.
        File.WriteAllText(file, File.ReadAllText(file).Replace("1.0.1-1", "9.9.9-cached"));
        Assert.Equal("9.9.9-cached", VersionCalculator.Calculate(r.Path).FullSemVer);
        r.Commit();
        Assert.Equal("1.0.1-2", VersionCalculator.Calculate(r.Path).FullSemVer);
        r.Tag("1.0.1");
        Assert.Equal("1.0.1", VersionCalculator.Calculate(r.Path).FullSemVer);
    }

    [Fact]
    public void Saved_commit_graph_gives_the_same_versions_as_a_full_walk_after_the_history_changes()
    {
        using var r = new TestRepository();
        r.TaggedCommit("1.0.0").Branch("develop").Commit("work").Branch("feature/a").Commit("feat");
        var branches = new[] { "main", "develop", "feature/a" };
        void Same()
        {
            foreach (var b in branches.Where(b => Git.Run(r.Path, null, "rev-parse", "--verify", "-q", b).ExitCode == 0))
                Assert.Equal(VersionCalculator.Calculate(r.Path, b, useCache: false), VersionCalculator.Calculate(r.Path, b));
        }
        Same();
        var graph = Path.Combine(r.Path, ".git", "capstan-version-cache", "commits.graph");
        Assert.True(File.Exists(graph));

        // New commits, a merge with a bump message, a release branch and tag: only the new commits are read.
        r.Checkout("develop").Commit("more +semver: major").Merge("feature/a");
        r.Branch("release/2.0.0").Commit("prep");
        Same();
        r.Checkout("main").Merge("release/2.0.0").AnnotatedTag("2.0.0", "Release 2.0.0");
        r.Checkout("develop").Git("merge", "-q", "--no-ff", "--no-edit", "2.0.0");
        Same();

        // Rewritten history: the amended-away commit and a deleted, pruned branch no longer exist for git.
        r.Checkout("feature/a").Git("commit", "-q", "--amend", "-m", "feat, reworded");
        r.Checkout("develop").Delete("release/2.0.0");
        r.Git("reflog", "expire", "--expire=now", "--all");
        r.Git("gc", "-q", "--prune=now");
        Same();

        // A damaged file is ignored and written again.
        File.WriteAllText(graph, "not a graph");
        r.Commit("after damage");
        Same();
        Assert.NotEqual("not a graph", File.ReadAllText(graph)[..11]);
    }
}
