using Capstan.Flow.Tests.Support;

namespace Capstan.Flow.Tests.Versioning;

/// <summary>Every scenario of reference/gitversion-scenarios.md, replayed with the real git CLI, commits one minute apart.</summary>
public class GitVersionScenarioTests
{
    [Fact]
    public void S01_full_gitflow_cycle()
    {
        using var r = new TestRepository();
        r.BaseFixture("1.0.0");
        Assert.Equal("1.1.0-alpha.1", r.Version());
        r.Branch("feature/f1").Commit();
        Assert.Equal("1.1.0-f1.1+2", r.Version());
        r.Checkout("develop").Merge("feature/f1").Delete("feature/f1");
        Assert.Equal("1.1.0-alpha.3", r.Version());
        r.Branch("release/1.1.0").Commit();
        Assert.Equal("1.1.0-beta.1+4", r.Version());
        r.Checkout("main").Merge("release/1.1.0");
        Assert.Equal("1.1.0-5", r.Version());
        r.Tag("1.1.0");
        Assert.Equal("1.1.0", r.Version());
        r.Checkout("develop").Merge("release/1.1.0").Delete("release/1.1.0");
        Assert.Equal("1.2.0-alpha.1", r.Version());
        r.Branch("feature/f2").Commit();
        Assert.Equal("1.2.0-f2.1+2", r.Version());
        r.Checkout("develop").Merge("feature/f2").Delete("feature/f2");
        Assert.Equal("1.2.0-alpha.3", r.Version());
        r.Branch("release/1.2.0").Commit();
        Assert.Equal("1.2.0-beta.1+8", r.Version());
        r.Checkout("main").Merge("release/1.2.0");
        Assert.Equal("1.2.0-5", r.Version());
        r.Tag("1.2.0");
        Assert.Equal("1.2.0", r.Version());
        r.Checkout("develop").Merge("release/1.2.0").Delete("release/1.2.0");
        Assert.Equal("1.3.0-alpha.1", r.Version());
        r.Checkout("main").Branch("hotfix/hf").Commit();
        Assert.Equal("1.2.1-beta.1+1", r.Version());
        r.Checkout("main").Merge("hotfix/hf");
        Assert.Equal("1.2.1-2", r.Version());
        r.Tag("1.2.1");
        Assert.Equal("1.2.1", r.Version());
        r.Checkout("develop").Merge("hotfix/hf").Delete("hotfix/hf");
        Assert.Equal("1.3.0-alpha.2", r.Version());
    }

    [Fact]
    public void S02_develop_branched_from_tagged_main_commit()
    {
        using var r = new TestRepository();
        r.TaggedCommit("1.0.0").Branch("develop");
        Assert.Equal("1.1.0-alpha.0", r.Version());
    }

    [Fact]
    public void S04_merging_release_back_into_develop_bumps_develop()
    {
        using var r = new TestRepository();
        r.TaggedCommit("1.0.0").Branch("develop").Commit().Branch("release-2.0.0").Commit();
        r.Checkout("main").Merge("release-2.0.0");
        r.Checkout("develop").Merge("release-2.0.0");
        Assert.Equal("2.1.0-alpha.2", r.Version());
    }

    [Fact]
    public void S05_develop_inherits_from_open_release_branch()
    {
        using var r = new TestRepository();
        r.TaggedCommit("1.0.0").Branch("develop").Commit().Branch("release/2.0.0").Commits(2);
        r.Checkout("develop");
        Assert.Equal("2.1.0-alpha.0", r.Version());
        r.Commit();
        Assert.Equal("2.1.0-alpha.1", r.Version());
        r.Merge("release/2.0.0");
        Assert.Equal("2.1.0-alpha.4", r.Version());
        r.Branch("feature/MyFeature").Commit();
        Assert.Equal("2.1.0-MyFeature.1+5", r.Version());
    }

    [Fact]
    public void S07_release_2_feature_takes_release_version_with_distinct_timestamps()
    {
        using var r = new TestRepository();
        r.TaggedCommit("1.0.0").Branch("develop").Create("release/3.0.0").Commit();
        r.Branch("release/2.0.0").Commits(2);
        Assert.Equal("2.0.0-beta.1+3", r.Version());
        r.Checkout("develop");
        Assert.Equal("3.1.0-alpha.1", r.Version());
        r.Commit();
        Assert.Equal("3.1.0-alpha.2", r.Version());
        r.Merge("release/2.0.0");
        Assert.Equal("3.1.0-alpha.5", r.Version());
        r.Checkout("release/2.0.0").Branch("feature/MyFeature").Commit();
        Assert.Equal("2.0.0-MyFeature.1+4", r.Version());
    }

    [Fact]
    public void S08_version_source_distance_does_not_go_down_on_release_finish()
    {
        using var r = new TestRepository();
        r.Commit().Tag("1.1.0").Branch("develop").Commit();
        Assert.Equal("1.2.0-alpha.1", r.Version());
        r.Branch("release/1.2.0");
        Assert.Equal("1.2.0-beta.1+1", r.Version());
        r.Checkout("develop").Commits(4);
        Assert.Equal("1.3.0-alpha.4", r.Version());
        r.Checkout("release/1.2.0").Commits(3);
        Assert.Equal("1.2.0-beta.1+4", r.Version());
        r.Checkout("main").Merge("release/1.2.0").Tag("1.2.0").Checkout("develop").Merge("release/1.2.0").Commit();
        Assert.Equal("1.3.0-alpha.6", r.Version());
        r.Delete("release/1.2.0");
        Assert.Equal("1.3.0-alpha.6", r.Version());
    }

    [Fact]
    public void S10_newer_tag_on_develop_is_considered()
    {
        using var r = new TestRepository();
        r.TaggedCommit("1.1.1").Branch("develop").Commit().Merge("main");
        r.Tag("9.9.9").Commit();
        Assert.Equal("9.10.0-alpha.1", r.Version());
    }

    [Fact]
    public void S11_no_merge_back_when_release_has_no_changes()
    {
        using var r = new TestRepository();
        r.Commit().Branch("develop").Commits(3).Create("release/1.0.0");
        r.Checkout("main").Merge("release/1.0.0").Tag("1.0.0");
        r.Checkout("develop").Delete("release/1.0.0");
        Assert.Equal("1.1.0-alpha.0", r.Version());
    }

    [Theory]
    [InlineData("release-2.0.0")]
    [InlineData("releases/2.0.0")]
    public void S13_version_taken_from_release_branch_name(string branch)
    {
        using var r = new TestRepository();
        r.TaggedCommit("1.0.3").Commits(5).Branch(branch);
        Assert.Equal("2.0.0-beta.1+5", r.Version());
        r.Commits(2);
        Assert.Equal("2.0.0-beta.1+7", r.Version());
    }

    [Fact]
    public void S14_pre_release_tag_on_release_branch_moves_the_number()
    {
        using var r = new TestRepository();
        r.Commits(5).Branch("releases/2.0.0").Tag("v2.0.0-beta.1");
        Assert.Equal("2.0.0-beta.2+0", r.Version());
    }

    [Fact]
    public void S16_main_continues_after_merging_release()
    {
        using var r = new TestRepository();
        r.TaggedCommit("1.0.3").Commit().Branch("release-2.0.0").Commits(4).Checkout("main").Merge("release-2.0.0");
        Assert.Equal("2.0.0-6", r.Version());
        r.Delete("release-2.0.0");
        Assert.Equal("2.0.0-6", r.Version());
        r.Tag("2.0.0").Commit();
        Assert.Equal("2.0.1-1", r.Version());
    }

    [Fact]
    public void S17_highest_merged_release_version_wins_on_develop()
    {
        using var r = new TestRepository();
        r.TaggedCommit("1.0.3").Create("develop").Commit();
        r.Branch("release-2.0.0").Commits(4).Checkout("develop").Merge("release-2.0.0");
        r.Branch("release-1.0.0").Commits(4).Checkout("develop").Merge("release-1.0.0");
        Assert.Equal("2.1.0-alpha.11", r.Version());
    }

    [Fact]
    public void S19_release_branch_name_beats_earlier_bump_message()
    {
        using var r = new TestRepository();
        r.TaggedCommit("1.0.0").Commit("+semver:major").Commit().Branch("release/2.0.0").Commit();
        Assert.Equal("2.0.0-beta.1+3", r.Version());
    }

    [Fact]
    public void S20_patch_latest_release_with_hotfix()
    {
        using var r = new TestRepository();
        r.BaseFixture("1.2.0").Checkout("main").Branch("hotfix-1.2.1").Commit();
        Assert.Equal("1.2.1-beta.1+1", r.Version());
        r.Commit();
        Assert.Equal("1.2.1-beta.1+2", r.Version());
        r.Tag("1.2.1-beta.1");
        Assert.Equal("1.2.1-beta.2+0", r.Version());
        r.Commit();
        Assert.Equal("1.2.1-beta.2+1", r.Version());
        r.Checkout("main").Merge("hotfix-1.2.1");
        Assert.Equal("1.2.1-4", r.Version());
        r.Tag("1.2.1");
        Assert.Equal("1.2.1", r.Version());
        r.Checkout("develop");
        Assert.Equal("1.3.0-alpha.1", r.Version());
        r.Merge("hotfix-1.2.1");
        Assert.Equal("1.3.0-alpha.2", r.Version());
    }

    [Fact]
    public void S22_hotfix_takes_version_from_its_name()
    {
        using var r = new TestRepository();
        r.BaseFixture("4.20.4");
        Assert.Equal("4.21.0-alpha.1", r.Version());
        r.Branch("release/4.21.1");
        Assert.Equal("4.21.1-beta.1+1", r.Version());
        r.Commit();
        Assert.Equal("4.21.1-beta.1+2", r.Version());
        r.Branch("hotfix/4.21.1");
        Assert.Equal("4.21.1-beta.1+2", r.Version());
        r.Commit();
        Assert.Equal("4.21.1-beta.1+3", r.Version());
    }

    [Fact]
    public void S23_support_branches()
    {
        using var r = new TestRepository();
        r.Commit().Tag("1.1.0").Branch("release-2.0.0").Commits(2).Checkout("main").Merge("release-2.0.0").Tag("2.0.0");
        Assert.Equal("2.0.0", r.Version());
        r.Checkout("1.1.0").Branch("support/1.0.0");
        Assert.Equal("1.1.0", r.Version());
        r.Branch("release/1.2.0").Commit();
        Assert.Equal("1.2.0-beta.1+1", r.Version());
        r.Checkout("support/1.0.0").Merge("release/1.2.0");
        Assert.Equal("1.2.0-2", r.Version());
        r.Tag("1.2.0").Branch("hotfix/1.2.1").Commit();
        Assert.Equal("1.2.1-beta.1+1", r.Version());
        r.Checkout("support/1.0.0").Merge("hotfix/1.2.1");
        Assert.Equal("1.2.1-2", r.Version());
    }

    [Fact]
    public void S25_feature_number_is_not_the_pre_release_number_off_develop()
    {
        using var r = new TestRepository();
        r.TaggedCommit("1.0.0").Branch("develop").Branch("feature/JIRA-123").Commits(5);
        Assert.Equal("1.1.0-JIRA-123.1+5", r.Version());
    }

    [Fact]
    public void S26_feature_number_is_not_the_pre_release_number_off_main()
    {
        using var r = new TestRepository();
        r.TaggedCommit("1.0.0").Branch("feature/JIRA-123").Commits(5);
        Assert.Equal("1.0.1-JIRA-123.1+5", r.Version());
    }

    [Fact]
    public void S28_two_feature_branches_on_the_same_commit()
    {
        using var r = new TestRepository();
        r.Commit().Branch("develop").Branch("feature/feature1").Commit().Branch("feature/feature2");
        Assert.Equal("0.1.0-feature2.1+2", r.Version());
    }

    [Fact]
    public void S29_weirdly_named_develop_branch_and_several_parents()
    {
        using var r = new TestRepository();
        r.TaggedCommit("1.0.0").Branch("development").Branch("feature/JIRA-123").Commit();
        r.Checkout("development").Git("merge", "-q", "--ff-only", "feature/JIRA-123");
        r.Branch("feature/JIRA-124").Commit();
        Assert.Equal("1.1.0-JIRA-124.1+2", r.Version());
    }

    [Fact]
    public void S31_feature_after_release_branch_created()
    {
        using var r = new TestRepository();
        r.Commit().Branch("develop").Commit().Branch("release/1.0.0").Commit().Checkout("develop").Commit();
        Assert.Equal("1.1.0-alpha.1", r.Version());
        r.Branch("feature/test");
        Assert.Equal("1.1.0-test.1+1", r.Version());
    }

    [Fact]
    public void S32_feature_after_release_merged_back()
    {
        using var r = new TestRepository();
        r.Commit().Branch("develop").Commit().Branch("release/1.0.0").Commit().Checkout("develop").Merge("release/1.0.0");
        Assert.Equal("1.1.0-alpha.2", r.Version());
        r.Branch("feature/test");
        Assert.Equal("1.1.0-test.1+2", r.Version());
    }

    [Fact]
    public void S34_commits_without_tags_give_0_0_1()
    {
        using var r = new TestRepository();
        r.Commits(3);
        Assert.Equal("0.0.1-3", r.Version());
    }

    [Fact]
    public void S35_tags_that_are_not_versions_are_ignored()
    {
        using var r = new TestRepository();
        r.Commit().Tag("BadTag").Commits(2);
        Assert.Equal("0.0.1-3", r.Version());
    }

    [Fact]
    public void S37_tagged_commit_is_the_tag()
    {
        using var r = new TestRepository();
        r.TaggedCommit("1.0.3");
        Assert.Equal("1.0.3", r.Version());
    }

    [Fact]
    public void S38_commit_messages_bump_the_version()
    {
        using var r = new TestRepository();
        r.Commit().TaggedCommit("1.0.0").Commit("+semver:minor");
        Assert.Equal("1.1.0-1", r.Version());
        r.Commit("+semver:major");
        Assert.Equal("2.0.0-2", r.Version());
    }

    [Fact]
    public void S40_tag_on_the_bump_commit_wins()
    {
        using var r = new TestRepository();
        r.Commit().TaggedCommit("1.0.0").Commit("+semver:minor");
        Assert.Equal("1.1.0-1", r.Version());
        r.Tag("2.0.0").Commit("Hello");
        Assert.Equal("2.0.1-1", r.Version());
    }

    [Fact]
    public void X3_bump_messages_in_the_gitflow_workflow()
    {
        using var r = new TestRepository();
        r.TaggedCommit("1.0.0").Commit("+semver: none");
        Assert.Equal("1.0.1-1", r.Version());
        r.Commit("+semver: patch");
        Assert.Equal("1.0.1-2", r.Version());
        r.Branch("develop").Commit("+semver: none");
        Assert.Equal("1.1.0-alpha.3", r.Version());
        r.Commit("+semver: minor");
        Assert.Equal("1.1.0-alpha.4", r.Version());
        r.Commit("+semver: breaking");
        Assert.Equal("2.0.0-alpha.5", r.Version());
        r.Branch("feature/x").Commit("+semver: major");
        Assert.Equal("2.0.0-x.1+6", r.Version());
    }

    [Fact]
    public void X4_manual_deployment_variables_on_a_hotfix_branch()
    {
        using var r = new TestRepository();
        r.BaseFixture("1.2.0").Checkout("main").Branch("hotfix-1.2.1").Commit().Tag("1.2.1-beta.1").Commit();
        var v = r.Variables();
        Assert.Equal("1.2.1-beta.2+1", v.FullSemVer);
        Assert.Equal("1.2.1-beta.2", v.SemVer);
        Assert.Equal("beta.2", v.PreReleaseTag);
        Assert.Equal(1, v.BuildMetaData);
        Assert.Equal(1, v.CommitsSinceVersionSource);
        Assert.Equal(30002, v.WeightedPreReleaseNumber);
        Assert.Equal("1.2.1.0", v.AssemblySemVer);
        Assert.Equal("hotfix-1-2-1", v.EscapedBranchName);
        Assert.Equal($"1.2.1-beta.2+1.Branch.hotfix-1.2.1.Sha.{v.Sha}", v.InformationalVersion);
    }

    [Fact]
    public void X1_bugfix_branches_use_the_whole_branch_name_as_label()
    {
        using var r = new TestRepository();
        r.TaggedCommit("1.0.0").Branch("develop").Commit().Branch("bugfix/b1").Commit();
        Assert.Equal("1.1.0-bugfix-b1.1+2", r.Version());
    }
}
