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
        // Just committed, so the refs have not settled: one entry, keyed by the refs' contents.
        var file = Assert.Single(Directory.GetFiles(folder, "*.version"));
        // A planted value proves the second call reads the cache instead of walking history.
        File.WriteAllText(file, File.ReadAllText(file).Replace("1.0.1-1", "9.9.9-cached"));
        Assert.Equal("9.9.9-cached", VersionCalculator.Calculate(r.Path).FullSemVer);
        r.Commit();
        Assert.Equal("1.0.1-2", VersionCalculator.Calculate(r.Path).FullSemVer);
        r.Tag("1.0.1");
        Assert.Equal("1.0.1", VersionCalculator.Calculate(r.Path).FullSemVer);
    }

    [Fact]
    public void Settled_refs_key_the_cache_by_their_times_and_a_moved_ref_still_misses()
    {
        using var r = new TestRepository();
        r.TaggedCommit("1.0.0").Commit();
        var first = r.Sha("HEAD");
        Settle(r);
        Assert.Equal("1.0.1-1", VersionCalculator.Calculate(r.Path).FullSemVer);
        var folder = Path.Combine(r.Path, ".git", "capstan-version-cache");
        // Settled: saved under the content key and under the stat key.
        var files = Directory.GetFiles(folder, "*.version");
        Assert.Equal(2, files.Length);
        foreach (var f in files) File.WriteAllText(f, File.ReadAllText(f).Replace("1.0.1-1", "9.9.9-cached"));
        Assert.Equal("9.9.9-cached", VersionCalculator.Calculate(r.Path).FullSemVer);
        Assert.Equal("9.9.9-cached", VersionCalculator.TryCached(r.Path)?.Variables.FullSemVer);
        foreach (var f in files) File.Delete(f); // the planted state comes back below

        // git moves a ref by renaming a new file over it: a new time, so a miss even after it settles.
        r.Commit();
        Assert.Null(VersionCalculator.TryCached(r.Path));
        Assert.Equal("1.0.1-2", VersionCalculator.Calculate(r.Path).FullSemVer);
        Settle(r);
        Assert.Equal("1.0.1-2", VersionCalculator.Calculate(r.Path).FullSemVer);

        // A ref file rewritten in place (same size, as a script might): its time moves too.
        File.WriteAllText(Path.Combine(r.Path, ".git", "refs", "heads", "main"), first + "\n");
        Assert.Equal("1.0.1-1", VersionCalculator.Calculate(r.Path).FullSemVer);
        Settle(r);
        Assert.Equal("1.0.1-1", VersionCalculator.Calculate(r.Path).FullSemVer);
        Assert.Equal("1.0.1-1", VersionCalculator.TryCached(r.Path)?.Variables.FullSemVer);

        // A checkout changes only HEAD, which both keys read.
        r.Git("checkout", "-q", "-b", "develop");
        Settle(r);
        var develop = VersionCalculator.Calculate(r.Path);
        Assert.Equal("develop", develop.BranchName);
        Assert.Equal(VersionCalculator.Calculate(r.Path, useCache: false), develop);
        Assert.Equal(develop, VersionCalculator.TryCached(r.Path)?.Variables);
    }

    /// <summary>Makes every loose ref look a minute old, as if nothing had changed for a while.</summary>
    private static void Settle(TestRepository r)
    {
        var then = DateTime.UtcNow.AddMinutes(-1);
        foreach (var f in Directory.GetFiles(Path.Combine(r.Path, ".git", "refs"), "*", SearchOption.AllDirectories))
            File.SetLastWriteTimeUtc(f, then);
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
        // Without git's commit-graph file, which gc writes by default: with it the saved graph is not used (GitCommitGraphTests).
        r.Git("-c", "gc.writeCommitGraph=false", "gc", "-q", "--prune=now");
        Same();

        // A damaged file is ignored and written again.
        File.WriteAllText(graph, "not a graph");
        r.Commit("after damage");
        Same();
        Assert.NotEqual("not a graph", File.ReadAllText(graph)[..11]);
    }

    [Fact]
    public async Task A_bump_message_below_a_newer_matching_tag_does_not_raise_an_older_candidate()
    {
        // develop: a "+semver: major" commit, then a tag matching develop's label above it, then release/2.0.0 (cut before
        // both) merged back. The merge-message candidate's source is where release/2.0.0 was cut, below the bump; the
        // tag covers the bump, so it must not raise that candidate (only the messages since the newest tags are read).
        using var r = new TestRepository();
        r.TaggedCommit("1.0.0").Branch("develop").Commit();
        r.Branch("release/2.0.0").Commit("release work");
        r.Checkout("develop").Commit("breaking change +semver: major").Commit().Tag("1.5.0-alpha.1");
        r.Commit().Merge("release/2.0.0");
        var expected = await GitVersionOracle.RunAsync(r.Path, "develop");
        Assert.Equal(expected["FullSemVer"], r.Version("develop"));
    }
}
