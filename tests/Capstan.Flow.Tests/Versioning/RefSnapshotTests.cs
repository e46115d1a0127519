using Capstan.Flow.Tests.Support;
using Capstan.Flow.Versioning;
using LibGit2Sharp;

namespace Capstan.Flow.Tests.Versioning;

/// <summary>
/// The refs and the new commits read in-process against what git lists for the same repository: a version after one
/// new commit reads them without starting git, so they must be git's answer exactly, or step aside (null).
/// </summary>
public class RefSnapshotTests
{
    [Fact]
    public void Refs_read_from_the_files_are_the_ones_git_lists_in_the_same_order()
    {
        using var r = new TestRepository();
        r.Commit("root").Git("tag", "-a", "1.0.0", "-m", "release 1.0.0");
        r.Branch("develop").Commit("one").Git("tag", "1.1.0-light");
        r.Git("tag", "-a", "1.1.0-outer", "-m", "a tag of a tag", "1.0.0"); // peeled one level: a tag, so not listed
        r.Git("tag", "-a", "2.0.0", "-m", "annotated", "HEAD");
        r.Git("tag", "tree-tag", "HEAD^{tree}"); // not a commit: not listed
        r.Branch("feature/a").Commit("a").Branch("feature/b").Commit("b");
        r.Create("to-delete");
        r.Git("pack-refs", "--all");
        // After packing: loose refs that override packed ones, new loose ones, and a packed one deleted.
        r.Git("checkout", "-q", "develop");
        r.Commit("two").Git("tag", "-a", "2.1.0", "-m", "loose annotated");
        r.Git("branch", "-D", "to-delete");
        r.Create("release/2.1.0");
        // A branch at a tag object (git refuses to write one, another tool might): not listed.
        File.WriteAllText(Path.Combine(r.Path, ".git", "refs", "heads", "points-at-tag"), r.Git("rev-parse", "2.0.0").Trim() + "\n");

        using var repository = new Repository(r.Path);
        var expected = RefSnapshot.Read(repository);
        var actual = FromFiles(r.Path, repository);

        Assert.NotNull(actual);
        Assert.Equal(expected.Branches.ToList(), actual.Branches.ToList());
        Assert.Equal(expected.Tags, actual.Tags);
        Assert.Contains(actual.Tags, t => t.Name == "2.1.0");
        Assert.DoesNotContain(actual.Branches.Keys, b => b == "to-delete");
    }

    [Fact]
    public void A_symbolic_branch_is_left_to_git()
    {
        using var r = new TestRepository();
        r.Commit("root");
        r.Git("symbolic-ref", "refs/heads/alias", "refs/heads/main");
        using var repository = new Repository(r.Path);

        Assert.Null(FromFiles(r.Path, repository));
        Assert.Equal(RefSnapshot.Read(repository).Branches.ToList(), RefSnapshot.Read(repository, RefFiles.Find(r.Path)).Branches.ToList());
    }

    [Fact]
    public void New_commits_read_up_to_the_known_ones_are_the_ones_git_log_lists_beyond_them()
    {
        using var r = new TestRepository();
        var sameSecond = new Dictionary<string, string> { ["GIT_AUTHOR_DATE"] = "2024-03-01T10:00:00+0000", ["GIT_COMMITTER_DATE"] = "2024-03-01T10:00:00+0000" };
        void Commit(string message) => Git.Ok(r.Path, sameSecond, "commit", "-q", "--allow-empty", "-m", message);
        Commit("root");
        r.Branch("develop");
        Commit("d1");
        using (var before = new Repository(r.Path))
        {
            var oldTips = Tips(before);
            var known = DirectHistory.TryRead(before.Info.Path, oldTips)!.Select(c => c.Sha).ToHashSet();
            // New work on several branches, in the same second, and a merge that reaches back into known commits.
            for (var i = 0; i < 3; i++)
            {
                Git.Ok(r.Path, null, "checkout", "-q", "-b", $"feature/{i}", "develop");
                Commit($"feature {i} a");
                Commit($"feature {i} b");
            }
            Git.Ok(r.Path, null, "checkout", "-q", "develop");
            Git.Ok(r.Path, sameSecond, "merge", "-q", "--no-ff", "-m", "Merge features", "feature/0", "feature/1");
            Commit("d2");

            using var after = new Repository(r.Path);
            var missing = Tips(after).Where(t => !known.Contains(t)).Distinct().ToList();
            var expected = CommitGraph.ReadCommits(after, missing.Concat(oldTips.Select(t => "^" + t)), throwOnError: true)!;
            var actual = DirectHistory.TryRead(after.Info.Path, missing, known.Contains);

            Assert.NotNull(actual);
            Assert.Equal(expected.Select(c => c.Message.Trim()), actual.Select(c => c.Message.Trim()));
            Assert.Equal(expected.Select(c => string.Join(' ', c.Parents)), actual.Select(c => string.Join(' ', c.Parents)));
            Assert.Equal(8, actual.Count);
        }
    }

    /// <summary>The refs from the files the version cache's content key reads.</summary>
    private static RefSnapshot? FromFiles(string path, Repository repository)
    {
        Assert.NotNull(RefFiles.Find(path)!.Key("test", null, out var contents));
        return RefSnapshot.TryReadFiles(contents!, repository.Info.Path);
    }

    private static List<string> Tips(Repository repository)
    {
        var refs = RefSnapshot.Read(repository);
        return [.. refs.Branches.Values, .. refs.Tags.Select(t => t.Commit)];
    }
}
