using System.Text.RegularExpressions;
using Capstan.Core.Commands;

namespace Capstan.Delivery.Tests;

public sealed partial class CommitPermissionTests
{
    [GeneratedRegex(@"Approval request (A[A-Z0-9]{4})")]
    private static partial Regex RequestId();

    [Fact]
    public async Task An_approval_does_not_commit_in_the_name_of_someone_who_lost_deploy_since_they_asked()
    {
        await using var t = await DeliveryNode.StartAsync();
        var asked = await t.SayAsync("bob", "deploy demo 1.2.0 to prod");
        Assert.Equal(CommandOutcome.Pending, asked.Outcome);
        var id = RequestId().Match(asked.Replies[0].Text).Groups[1].Value;

        // An admin takes bob's deployer role away before anyone approves.
        var yaml = t.Repo.ReadFiles(t.Repo.HeadSha()!)["capstan.yaml"];
        var demoted = yaml.Replace("roles: [deployer]", "roles: [viewer]", StringComparison.Ordinal);
        Assert.NotEqual(yaml, demoted);
        await t.CommitAsync("bob reads only", new Dictionary<string, string?> { ["capstan.yaml"] = demoted });
        var head = t.Repo.HeadSha();

        var approved = await t.SayAsync("alice", $"approve {id}");
        Assert.Equal(CommandOutcome.Refused, approved.Outcome);
        Assert.Contains("committed in bob's name", approved.Replies[0].Text);
        Assert.Contains("needs permission 'deploy'", approved.Replies[0].Text);
        Assert.Equal(head, t.Repo.HeadSha());
        Assert.DoesNotContain(t.Repo.Log(20), c => c.AuthorName == "Bob Builder");

        // A deployer's own deploy still commits in their name.
        await t.CommitAsync("bob deploys again", new Dictionary<string, string?> { ["capstan.yaml"] = yaml });
        var deploy = await t.SayAsync("bob", "deploy demo 1.1.0 to staging");
        Assert.Equal(CommandOutcome.Succeeded, deploy.Outcome);
        Assert.Equal("Bob Builder", t.Repo.ReadCommit(t.Repo.HeadSha()!).AuthorName);
    }
}
