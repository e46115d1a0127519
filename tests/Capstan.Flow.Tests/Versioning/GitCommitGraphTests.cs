using Capstan.Flow.Tests.Support;
using Capstan.Flow.Versioning;
using LibGit2Sharp;

namespace Capstan.Flow.Tests.Versioning;

/// <summary>
/// The history read through git's commit-graph file (parents and dates from the file, names, messages and zones on
/// demand) against git log: the same commits in the same order — ties included — whether the file is one file or a
/// chain of split files, and with commits made after it was written; and the same versions as without the file.
/// </summary>
public class GitCommitGraphTests
{
    private static readonly Dictionary<string, string> SameSecond = new()
    {
        ["GIT_AUTHOR_DATE"] = "2024-03-01T10:00:00+0000",
        ["GIT_COMMITTER_DATE"] = "2024-03-01T10:00:00+0000",
    };

    [Fact]
    public void The_history_read_through_gits_commit_graph_file_is_what_git_log_lists()
    {
        using var r = new TestRepository();
        void Commit(string message) => Support.Git.Ok(r.Path, SameSecond, "commit", "-q", "--allow-empty", "-m", message);
        // Every commit in the same second, so only the order of reaching them decides git log's order.
        Commit("root");
        Support.Git.Ok(r.Path, null, "checkout", "-q", "-b", "develop");
        for (var i = 0; i < 3; i++)
        {
            Support.Git.Ok(r.Path, null, "checkout", "-q", "-b", $"feature/{i}", "develop");
            Commit($"feature {i} a");
            Commit($"feature {i} b");
        }
        Support.Git.Ok(r.Path, null, "checkout", "-q", "develop");
        // An octopus merge: its third and fourth parents are in the file's extra edge list.
        Support.Git.Ok(r.Path, SameSecond, "merge", "-q", "--no-ff", "-m", "Merge features", "feature/0", "feature/1", "feature/2");
        Support.Git.Ok(r.Path, null, "checkout", "-q", "main");
        Support.Git.Ok(r.Path, SameSecond, "merge", "-q", "--no-ff", "-m", "Merge branch 'develop'", "develop");
        Support.Git.Ok(r.Path, SameSecond, "tag", "-a", "1.0.0", "-m", "release 1.0.0");
        Support.Git.Ok(r.Path, new Dictionary<string, string> { ["GIT_COMMITTER_DATE"] = "2024-03-01T02:30:00-0730" }, "commit", "-q", "--allow-empty", "-m", "west");
        Support.Git.Ok(r.Path, null, "commit-graph", "write", "--reachable");

        // Commits the file does not name: a zone east of UTC, and a merge of a named commit into a new one.
        Support.Git.Ok(r.Path, new Dictionary<string, string> { ["GIT_COMMITTER_DATE"] = "2024-03-01T15:45:00+0545" }, "commit", "-q", "--allow-empty", "-m", "east");
        Support.Git.Ok(r.Path, null, "checkout", "-q", "develop");
        Commit("after the graph");
        Support.Git.Ok(r.Path, SameSecond, "merge", "-q", "--no-ff", "-m", "Merge branch 'main' into develop", "main");
        AssertSameAsGitLog(r.Path, expectedCommits: 13);

        // A chain of split files, and commits after it again.
        Support.Git.Ok(r.Path, null, "commit-graph", "write", "--reachable", "--split=no-merge");
        // git replaces the single file with a chain of two layers: the commits it named, and those since.
        Assert.False(File.Exists(Path.Combine(r.Path, ".git", "objects", "info", "commit-graph")));
        Assert.Equal(2, File.ReadAllLines(Path.Combine(r.Path, ".git", "objects", "info", "commit-graphs", "commit-graph-chain")).Length);
        Commit("after the chain");
        AssertSameAsGitLog(r.Path, expectedCommits: 14);
    }

    [Fact]
    public void Versions_are_the_same_with_gits_commit_graph_file_and_the_saved_graph_is_not_kept()
    {
        foreach (var seed in new[] { 3, 8, 21 })
        {
            using var repo = new TestRepository(init: false);
            Support.Git.Ok(repo.Path, null, "init", "-q", "-b", "main");
            var branches = new GitFlowHistory(seed).Build(repo);
            // A version with the saved graph first, so there is a saved graph to leave behind.
            VersionCalculator.Calculate(repo.Path, "develop");
            var savedGraph = Path.Combine(repo.Path, ".git", "capstan-version-cache", "commits.graph");
            Assert.True(File.Exists(savedGraph));
            var without = branches.ToDictionary(b => b, b => VersionCalculator.Calculate(repo.Path, b, useCache: false).ToJson());

            Support.Git.Ok(repo.Path, null, "commit-graph", "write", "--reachable");
            foreach (var branch in branches)
                Assert.Equal(without[branch], VersionCalculator.Calculate(repo.Path, branch, useCache: false).ToJson());

            // A commit the file does not name, with a bump message: read from the object files and counted.
            Support.Git.Ok(repo.Path, repo.NextStamp(), "-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "breaking +semver: major");
            var head = Support.Git.Ok(repo.Path, null, "rev-parse", "--abbrev-ref", "HEAD").Trim();
            var withGraph = VersionCalculator.Calculate(repo.Path, head).ToJson();
            // The commit-graph file answered: the saved graph no longer pays for itself, and is removed.
            Assert.False(File.Exists(savedGraph));
            var graphFile = Path.Combine(repo.Path, ".git", "objects", "info", "commit-graph");
            File.Move(graphFile, graphFile + ".aside");
            Assert.Equal(VersionCalculator.Calculate(repo.Path, head, useCache: false).ToJson(), withGraph);
        }
    }

    /// <summary>Compares the graph read through the commit-graph file with git log, commit by commit and in order.</summary>
    private static void AssertSameAsGitLog(string path, int expectedCommits)
    {
        using var repository = new Repository(path);
        var refs = RefSnapshot.Read(repository);
        List<string> tips = [.. refs.Branches.Values, .. refs.Tags.Select(t => t.Commit)];
        var expected = CommitGraph.ReadCommits(repository, tips, throwOnError: true)!;
        using var graph = GitGraphHistory.TryLoad(repository, tips.Distinct().ToList());
        Assert.NotNull(graph);
        Assert.Equal(expectedCommits, expected.Count);
        Assert.Equal(expected.Select(c => c.Sha), Enumerable.Range(0, graph.Count).Select(graph.Sha));
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Parents, graph.Parents(i).ToArray().Select(graph.Sha));
            Assert.Equal(expected[i].When, graph.When(i));
            Assert.Equal(expected[i].When.Offset, graph.CommitTime(i).Offset);
            Assert.Equal(expected[i].Message, graph.Message(i));
            Assert.Equal(i, graph.IndexOf(expected[i].Sha));
        }
    }
}
