using Capstan.Flow.Tests.Support;
using Capstan.Flow.Versioning;

namespace Capstan.Flow.Tests.Versioning;

/// <summary>GitVersion.yml is read as YAML, the way GitVersion reads it: block scalars, flow lists, quoted scalars and comments.</summary>
public class GitVersionYamlTests
{
    // Every construct here was misread or refused by the reader Capstan had before YamlDotNet.
    private const string Configuration = """
        # Shared by Capstan and GitVersion.
        workflow: GitFlow/v1   # the only workflow Capstan computes
        major-version-bump-message: >-
          \+semver:\s?(breaking|major)
        branches:
          develop:
            label: |-
              dev
            source-branches: [ 'main', "support" ]
          feature:
            label: 'feat'
            source-branches:
            - develop   # a comment after a list item
        """;

    [Fact]
    public async Task Block_scalars_flow_lists_and_comments_give_GitVersions_answer()
    {
        using var r = new TestRepository();
        r.TaggedCommit("1.0.0").Branch("develop").Commit("+semver: breaking").Branch("feature/x").Commit();
        File.WriteAllText(Path.Combine(r.Path, "GitVersion.yml"), Configuration);
        r.Git("add", "GitVersion.yml");
        r.Git("commit", "-q", "-m", "configure versions");
        foreach (var branch in new[] { "develop", "feature/x" })
        {
            var expected = await GitVersionOracle.RunAsync(r.Path, branch);
            Assert.Equal(expected["FullSemVer"], r.Version(branch));
        }
        Assert.Equal("2.0.0-dev.1", r.Version("develop").Split('+')[0]);
    }

    [Fact]
    public void A_quoted_comma_stays_inside_its_list_item()
    {
        var configuration = ConfigurationFile.Parse("""
            branches:
              feature:
                source-branches: [ 'develop', "main, or support" ]
            """);
        Assert.Equal(["develop", "main, or support"], configuration.Branches.Single(b => b.Key == "feature").SourceBranches);
    }

    [Fact]
    public void A_syntax_error_names_the_file_and_line()
    {
        using var r = new TestRepository();
        r.Commit();
        File.WriteAllText(Path.Combine(r.Path, "GitVersion.yml"), "workflow: GitFlow/v1\nbranches:\n  develop:\n    label: [dev\n");
        var e = Assert.Throws<FlowException>(() => r.Version());
        Assert.StartsWith("GitVersion.yml:", e.Message);
        Assert.Matches(@"^GitVersion\.yml:[45]: ", e.Message);
    }
}
