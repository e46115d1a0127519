using Capstan.Flow.Changelog;
using Capstan.Flow.Tests.Support;

namespace Capstan.Flow.Tests.Changelog;

/// <summary>Changelogs between versions: grouped by Conventional Commit type, breaking changes first, authors and links.</summary>
public class ChangelogTests
{
    private static TestRepository History()
    {
        var r = new TestRepository();
        r.Commit("chore: initial").Tag("v1.0.0");
        r.Commit("feat(api): add login");
        r.Commit("fix: handle empty password");
        r.Commit("perf: cache sessions");
        r.Commit("feat!: drop the v1 endpoints");
        r.Commit("refactor: split auth\n\nBREAKING CHANGE: AuthService is now two services");
        r.Commit("update readme");
        r.Tag("v1.1.0");
        r.Commit("docs: after the release");
        return r;
    }

    [Fact]
    public void Groups_by_type_with_breaking_changes_first()
    {
        using var r = History();
        var model = Capstan.Flow.Changelog.Changelog.Build(r.Path, "1.0.0", "1.1.0");
        Assert.Equal(6, model.Count);
        Assert.Equal(["feat", "fix", "perf", "refactor", "other"], model.Sections.Select(s => s.Type));
        Assert.Equal(["AuthService is now two services", "drop the v1 endpoints"], model.BreakingChanges.Select(b => b.BreakingNote));
        var login = model.Sections[0].Entries.Single(e => e.Description == "add login");
        Assert.Equal("api", login.Scope);
        Assert.Equal("Test Person", login.Author);
        Assert.Null(login.Link);
    }

    [Fact]
    public void Default_range_is_last_version_tag_to_head()
    {
        using var r = History();
        var model = Capstan.Flow.Changelog.Changelog.Build(r.Path);
        Assert.Equal("v1.1.0", model.From);
        Assert.Equal(["after the release"], model.Sections.SelectMany(s => s.Entries).Select(e => e.Description));
    }

    [Theory]
    [InlineData("git@github.com:acme/api.git", "https://github.com/acme/api/commit/")]
    [InlineData("https://gitlab.example.com/acme/api.git", "https://gitlab.example.com/acme/api/-/commit/")]
    [InlineData("ssh://git@github.com/acme/api", "https://github.com/acme/api/commit/")]
    public void Links_follow_the_remote_host(string url, string prefix)
    {
        using var r = History();
        r.Git("remote", "add", "origin", url);
        var model = Capstan.Flow.Changelog.Changelog.Build(r.Path, "v1.0.0", "v1.1.0");
        var entry = model.Sections[0].Entries[0];
        Assert.Equal(prefix + entry.Sha, entry.Link);
        var markdown = MarkdownChangelog.Render(model);
        Assert.Contains($"[{entry.ShortSha}]({prefix}{entry.Sha}), Test Person)", markdown);
        Assert.Contains("### ⚠ Breaking changes", markdown);
        Assert.True(markdown.IndexOf("Breaking changes", StringComparison.Ordinal) < markdown.IndexOf("### Features", StringComparison.Ordinal));
        Assert.Contains("compare/v1.0.0...v1.1.0", markdown);
    }

    [Fact]
    public void Unknown_ref_is_a_clear_error()
    {
        using var r = History();
        var e = Assert.Throws<FlowException>(() => Capstan.Flow.Changelog.Changelog.Build(r.Path, "9.9.9"));
        Assert.Contains("'9.9.9' is not a tag, branch or commit", e.Message);
    }

    [Theory]
    [InlineData("1.0.0..1.1.0", "1.0.0", "1.1.0")]
    [InlineData("1.0.0..", "1.0.0", null)]
    [InlineData("..HEAD", null, "HEAD")]
    [InlineData("1.0.0...main", "1.0.0", "main")]
    public void Ranges_parse(string range, string? from, string? to) =>
        Assert.Equal((from, to), Capstan.Flow.Changelog.Changelog.ParseRange(range));
}
