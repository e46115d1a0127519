using System.Text;
using Capstan.Flow.GitObjects;
using Capstan.Flow.Tests.Support;
using Capstan.Flow.Versioning;
using LibGit2Sharp;

namespace Capstan.Flow.Tests.Versioning;

/// <summary>
/// The in-process history reader against git log on the same repositories: the same commits in the same order, with
/// the same parents, dates, zones and messages — loose objects, packs with both kinds of delta, odd commit objects —
/// and it steps aside (null) where only git can answer.
/// </summary>
public class DirectHistoryTests
{
    private static readonly Dictionary<string, string> SameSecond = new()
    {
        ["GIT_AUTHOR_DATE"] = "2024-03-01T10:00:00+0000",
        ["GIT_COMMITTER_DATE"] = "2024-03-01T10:00:00+0000",
    };

    [Fact]
    public void Commits_made_in_the_same_second_come_in_git_logs_order()
    {
        using var r = new TestRepository();
        // Every commit has the same date, so only the order of reaching them decides: tips in order, parents in order.
        void Commit(string message) => Support.Git.Ok(r.Path, SameSecond, "commit", "-q", "--allow-empty", "-m", message);
        Commit("root");
        Support.Git.Ok(r.Path, null, "checkout", "-q", "-b", "develop");
        for (var i = 0; i < 3; i++)
        {
            Support.Git.Ok(r.Path, null, "checkout", "-q", "-b", $"feature/{i}", "develop");
            Commit($"feature {i} a");
            Commit($"feature {i} b");
        }
        Support.Git.Ok(r.Path, null, "checkout", "-q", "develop");
        // An octopus merge: three parents.
        Support.Git.Ok(r.Path, SameSecond, "merge", "-q", "--no-ff", "-m", "Merge features", "feature/0", "feature/1", "feature/2");
        Support.Git.Ok(r.Path, null, "checkout", "-q", "main");
        Support.Git.Ok(r.Path, SameSecond, "merge", "-q", "--no-ff", "-m", "Merge branch 'develop'", "develop");
        Support.Git.Ok(r.Path, SameSecond, "tag", "-a", "1.0.0", "-m", "release 1.0.0");
        Commit("after the tag");
        // Zones either side of UTC, with minutes.
        Support.Git.Ok(r.Path, new Dictionary<string, string> { ["GIT_COMMITTER_DATE"] = "2024-03-01T02:30:00-0730" }, "commit", "-q", "--allow-empty", "-m", "west");
        Support.Git.Ok(r.Path, new Dictionary<string, string> { ["GIT_COMMITTER_DATE"] = "2024-03-01T15:45:00+0545" }, "commit", "-q", "--allow-empty", "-m", "east");

        var direct = AssertSameAsGitLog(r.Path);
        Assert.Equal(12, direct.Count);
        Assert.Contains(direct, c => c.Parents.Length == 4);
        Assert.Contains(direct, c => c.When.Offset == TimeSpan.FromMinutes(-450));
        Assert.Contains(direct, c => c.When.Offset == TimeSpan.FromMinutes(345));
    }

    [Fact]
    public void Packed_commits_stored_as_deltas_of_either_kind_read_the_same()
    {
        using var r = new TestRepository();
        // Long, nearly identical messages make git store most commits as deltas of one another.
        var body = string.Join('\n', Enumerable.Range(0, 60).Select(i => $"Line {i} of a long description that barely changes."));
        for (var i = 0; i < 40; i++)
            r.Git("commit", "-q", "--allow-empty", "-m", $"change {i}", "-m", body);
        r.Branch("develop").Commits(5).Tag("2.0.0");

        Support.Git.Ok(r.Path, null, "repack", "-adf", "--window=50", "--depth=50");
        Assert.True(DeltifiedCommits(r.Path) > 10, "git should have stored commits as offset deltas");
        AssertSameAsGitLog(r.Path);

        Support.Git.Ok(r.Path, null, "-c", "repack.useDeltaBaseOffset=false", "repack", "-adf", "--window=50", "--depth=50");
        Assert.True(DeltifiedCommits(r.Path) > 10, "git should have stored commits as name deltas");
        AssertSameAsGitLog(r.Path);

        // New loose commits on top of the pack.
        r.Commits(3).Checkout("main").Commit("loose on main");
        Assert.Contains(Directory.EnumerateFiles(Path.Combine(r.Path, ".git", "objects"), "*", SearchOption.AllDirectories),
            f => Path.GetFileName(Path.GetDirectoryName(f)!).Length == 2);
        AssertSameAsGitLog(r.Path);
    }

    [Fact]
    public void Unusual_commit_objects_read_as_git_prints_them()
    {
        using var r = new TestRepository();
        r.Commit("base");
        var tree = Support.Git.Ok(r.Path, null, "rev-parse", "HEAD^{tree}").Trim();
        var parent = Support.Git.Ok(r.Path, null, "rev-parse", "HEAD").Trim();
        string Write(byte[] content)
        {
            var file = Path.Combine(r.Path, ".git", "raw-commit");
            File.WriteAllBytes(file, content);
            return Support.Git.Ok(r.Path, null, "hash-object", "-t", "commit", "-w", "--literally", file).Trim();
        }
        var head = $"tree {tree}\nparent {parent}\nauthor A U Thor <a@example.com> 1709287200 +0100\ncommitter C O Mitter <c@example.com> 1709287260 +0100\n";
        // A signature header whose continuation lines look like headers, then a message with no final newline.
        var signed = Write(Encoding.UTF8.GetBytes(head + "gpgsig -----BEGIN PGP SIGNATURE-----\n parent 0000000000000000000000000000000000000000\n committer X <x> 1 +0000\n -----END PGP SIGNATURE-----\n\nSigned: no newline at the end"));
        // A blank line and no message; the author line not right after the parents (git's walk then dates it 0).
        var bare = Write(Encoding.UTF8.GetBytes($"tree {tree}\nparent {signed}\nmergetag object {parent}\nauthor A <a@example.com> 1709287300 +0000\ncommitter C <c@example.com> 1709287300 +0000\n\n"));
        // Non-ASCII text, a byte that is not UTF-8, and an explicit UTF-8 encoding header.
        var text = Write([.. Encoding.UTF8.GetBytes($"tree {tree}\nparent {bare}\nauthor A <a@example.com> 1709287400 -0330\ncommitter C <c@example.com> 1709287400 -0330\nencoding UTF-8\n\nfeat: café ☕ "), 0xff, .. "\n\nbody +semver: minor\n"u8.ToArray()]);
        Support.Git.Ok(r.Path, null, "update-ref", "refs/heads/odd", text);

        var direct = AssertSameAsGitLog(r.Path);
        Assert.Equal("Signed: no newline at the end", direct.Single(c => c.Sha == signed).Message);
        Assert.Equal("", direct.Single(c => c.Sha == bare).Message);
        Assert.StartsWith("feat: café ☕ \uFFFD", direct.Single(c => c.Sha == text).Message);
    }

    [Fact]
    public void What_only_git_can_answer_is_left_to_git()
    {
        using var r = new TestRepository();
        r.Commit("base");
        using (var repository = new Repository(r.Path))
            Assert.NotNull(DirectHistory.TryRead(repository.Info.Path, Tips(repository)));

        // An object with headers only (no blank line): git prints whatever memory follows it as the message.
        var headersOnly = Support.Git.Ok(r.Path, null, "rev-parse", "HEAD^{tree}").Trim();
        var raw = Path.Combine(r.Path, ".git", "headers-only");
        File.WriteAllText(raw, $"tree {headersOnly}\nauthor A <a@x> 1709287200 +0000\ncommitter C <c@x> 1709287200 +0000\n");
        Support.Git.Ok(r.Path, null, "update-ref", "refs/heads/headers-only", Support.Git.Ok(r.Path, null, "hash-object", "-t", "commit", "-w", "--literally", raw).Trim());
        using (var repository = new Repository(r.Path))
            Assert.Null(DirectHistory.TryRead(repository.Info.Path, Tips(repository)));
        Support.Git.Ok(r.Path, null, "update-ref", "-d", "refs/heads/headers-only");

        // A message in another encoding: git re-encodes it to UTF-8 when it prints it.
        var tree = Support.Git.Ok(r.Path, null, "rev-parse", "HEAD^{tree}").Trim();
        var file = Path.Combine(r.Path, ".git", "latin1-commit");
        File.WriteAllBytes(file, [.. Encoding.ASCII.GetBytes($"tree {tree}\nauthor A <a@x> 1709287200 +0000\ncommitter C <c@x> 1709287200 +0000\nencoding ISO-8859-1\n\ncaf"), 0xe9, (byte)'\n']);
        var latin1 = Support.Git.Ok(r.Path, null, "hash-object", "-t", "commit", "-w", "--literally", file).Trim();
        Support.Git.Ok(r.Path, null, "update-ref", "refs/heads/latin1", latin1);
        using (var repository = new Repository(r.Path))
        {
            Assert.Null(DirectHistory.TryRead(repository.Info.Path, Tips(repository)));
            Assert.Contains(CommitGraph.ReadCommits(repository, Tips(repository), throwOnError: true)!, c => c.Message == "café\n");
        }
        Support.Git.Ok(r.Path, null, "update-ref", "-d", "refs/heads/latin1");

        // A clone that borrows objects from another repository (alternates), and replace refs: git's view differs from the files.
        using var borrower = new TestRepository(init: false);
        Support.Git.Ok(borrower.Path, null, "clone", "-q", "--shared", r.Path, ".");
        using (var repository = new Repository(borrower.Path))
            Assert.Null(DirectHistory.TryRead(repository.Info.Path, Tips(repository)));
        // A shallow clone: its boundary commits name parents it does not have, and git shows them with none.
        r.Commit("second");
        using var shallow = new TestRepository(init: false);
        Support.Git.Ok(shallow.Path, null, "clone", "-q", "--depth", "1", "file://" + r.Path, ".");
        Assert.True(File.Exists(Path.Combine(shallow.Path, ".git", "shallow")));
        using (var repository = new Repository(shallow.Path))
            Assert.Null(DirectHistory.TryRead(repository.Info.Path, Tips(repository)));
        r.Commit("replaced");
        Support.Git.Ok(r.Path, null, "replace", "HEAD", "HEAD~1");
        using (var repository = new Repository(r.Path))
            Assert.Null(DirectHistory.TryRead(repository.Info.Path, Tips(repository)));

        // A missing object: the reader gives up instead of inventing a shorter history.
        using var broken = new TestRepository();
        broken.Commit("one").Commit("two");
        var first = Support.Git.Ok(broken.Path, null, "rev-parse", "HEAD~1").Trim();
        File.Delete(Path.Combine(broken.Path, ".git", "objects", first[..2], first[2..]));
        using (var repository = new Repository(broken.Path))
            Assert.Null(DirectHistory.TryRead(repository.Info.Path, Tips(repository)));
    }

    [Fact]
    public void The_runtimes_compression_shim_passes_its_start_up_check_and_is_used()
    {
        // The fast path stays in use on the runtime Capstan ships with: a failing check would silently cost cold versions.
        Assert.True(ZlibShimInflater.Usable(Environment.Version));
        Assert.True(Inflater.UsesShim);
        using var inflater = Inflater.Create();
        Assert.IsType<ZlibShimInflater>(inflater);
    }

    [Fact]
    public void Another_runtime_major_falls_back_to_the_public_stream()
    {
        Assert.False(ZlibShimInflater.Usable(new System.Version(ZlibShimInflater.RuntimeMajor + 1, 0)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Inflater_refuses_a_stream_that_is_longer_or_shorter_than_promised(bool shim)
    {
        var text = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("commit text ", 50)));
        using var compressed = new MemoryStream();
        using (var z = new System.IO.Compression.ZLibStream(compressed, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
            z.Write(text);
        var input = compressed.ToArray();
        using Inflater inflater = shim ? ZlibShimInflater.TryCreate()! : new ZLibStreamInflater();
        Assert.NotNull(inflater);
        var output = new byte[text.Length + Inflater.Slack];
        unsafe
        {
            fixed (byte* source = input)
            {
                Assert.True(inflater.TryInflate(source, input.Length, output, text.Length));
                Assert.Equal(text, output[..text.Length]);
                Assert.False(inflater.TryInflate(source, input.Length, output, text.Length - 1));
                Assert.False(inflater.TryInflate(source, input.Length, new byte[text.Length + 1 + Inflater.Slack], text.Length + 1));
                Assert.False(inflater.TryInflate(source, input.Length / 2, output, text.Length));
            }
        }
        Assert.Equal(text, inflater.TryInflateAll(input));
        Assert.Null(inflater.TryInflateAll(input.AsSpan(0, input.Length / 2)));
    }

    private static List<string> Tips(Repository repository)
    {
        var refs = RefSnapshot.Read(repository);
        return [.. refs.Branches.Values, .. refs.Tags.Select(t => t.Commit)];
    }

    /// <summary>Compares the reader with git log field by field and in order; returns what the reader gave.</summary>
    private static List<CommitGraph.CommitRecord> AssertSameAsGitLog(string path)
    {
        using var repository = new Repository(path);
        var tips = Tips(repository);
        var expected = CommitGraph.ReadCommits(repository, tips, throwOnError: true)!;
        var actual = DirectHistory.TryRead(repository.Info.Path, tips);
        Assert.NotNull(actual);
        Assert.Equal(string.Join(" | ", expected.Select(c => c.Message.Trim())), string.Join(" | ", actual.Select(c => c.Message.Trim())));
        Assert.Equal(expected.Select(c => c.Sha), actual.Select(c => c.Sha));
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Parents, actual[i].Parents);
            Assert.Equal(expected[i].When, actual[i].When);
            Assert.Equal(expected[i].When.Offset, actual[i].When.Offset);
            Assert.Equal(expected[i].Message, actual[i].Message);
        }
        return actual;
    }

    /// <summary>Commits git stored as deltas (verify-pack prints a depth and a base for them).</summary>
    private static int DeltifiedCommits(string path)
    {
        var pack = Directory.GetFiles(Path.Combine(path, ".git", "objects", "pack"), "*.idx").Single();
        return Support.Git.Ok(path, null, "verify-pack", "-v", pack).Split('\n')
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Count(f => f.Length >= 7 && f[1] == "commit");
    }
}
