using System.Text.RegularExpressions;
using Capstan.Core.Commands;
using Capstan.Delivery.Chat;

namespace Capstan.Delivery.Tests;

public sealed partial class ApprovalTests
{
    [GeneratedRegex(@"Approval request (A[A-Z0-9]{4})")]
    private static partial Regex RequestId();

    private static string IdOf(Core.Conversation.ConversationResult r) => RequestId().Match(r.Replies[0].Text).Groups[1].Value;

    [Fact]
    public async Task An_approval_request_offers_Approve_and_Deny_buttons_that_run_as_the_person_who_clicks()
    {
        await using var t = await DeliveryNode.StartAsync();
        var asked = await t.SayAsync("bob", "deploy demo 1.2.0 to prod");
        var id = IdOf(asked);
        var actions = asked.Replies[0].Actions!;
        Assert.Equal([("Approve", $"approve {id}"), ("Deny", $"deny {id} {ApprovalDesk.ButtonDenial}")], actions.Select(a => (a.Label, a.Command)));
        Assert.Contains($"`approve {id}` or `deny {id} REASON`", asked.Replies[0].Text);

        var self = await t.SayAsync("bob", actions[1].Command);
        Assert.Equal(CommandOutcome.Refused, self.Outcome);
        var denied = await t.SayAsync("alice", actions[1].Command);
        Assert.Equal(CommandOutcome.Succeeded, denied.Outcome);
        Assert.Contains("no reason given", denied.Replies[0].Text);
    }

    [Fact]
    public async Task Prod_needs_a_second_person_with_the_permission_and_the_commit_names_the_approver()
    {
        await using var t = await DeliveryNode.StartAsync();
        var asked = await t.SayAsync("bob", "deploy demo 1.2.0 to prod");
        Assert.Equal(CommandOutcome.Pending, asked.Outcome);
        Assert.Contains("prod is protected", asked.Replies[0].Text);
        var id = IdOf(asked);
        Assert.NotEmpty(id);
        var headBefore = t.Repo.HeadSha();

        var self = await t.SayAsync("bob", $"approve {id}");
        Assert.Equal(CommandOutcome.Refused, self.Outcome);
        Assert.Contains("someone else must approve it", self.Replies[0].Text);
        Assert.Contains("alice", self.Replies[0].Text);

        var viewer = await t.SayAsync("carol", $"approve {id}");
        Assert.Equal(CommandOutcome.Refused, viewer.Outcome);
        Assert.Contains("permission 'approve'", viewer.Replies[0].Text);
        Assert.Equal(headBefore, t.Repo.HeadSha());

        var approved = await t.SayAsync("alice", $"approve {id}");
        Assert.Equal(CommandOutcome.Succeeded, approved.Outcome);
        var cell = await t.HealthyAsync("prod", "1.2.0");
        Assert.Equal("Bob Builder", cell.LastDeploy!.By);
        var head = t.Repo.ReadCommit(t.Repo.HeadSha()!);
        Assert.StartsWith("deploy demo 1.2.0 to prod\n", head.Message);
        Assert.Equal("Bob Builder", head.AuthorName);
        Assert.Contains("Approved-by: Alice Admin <alice@example.com>", head.Message);

        // The progress follows in bob's original thread, not alice's.
        await t.MessageAsync(m => m.ThreadId == asked.MessageId && m.Text.Contains("is live and healthy in prod"), "the final reply in the request's thread");

        var again = await t.SayAsync("alice", $"approve {id}");
        Assert.Equal(CommandOutcome.Refused, again.Outcome);
        Assert.Contains("already approved by alice", again.Replies[0].Text);
    }

    [Fact]
    public async Task Requests_expire_can_be_denied_and_can_be_cancelled_by_the_requester()
    {
        await using var t = await DeliveryNode.StartAsync();
        var desk = t.Get<ApprovalDesk>();

        var first = IdOf(await t.SayAsync("bob", "deploy demo 1.1.0 to prod"));
        t.Clock.Advance(TimeSpan.FromHours(2));
        var late = await t.SayAsync("alice", $"approve {first}");
        Assert.Equal(CommandOutcome.Refused, late.Outcome);
        Assert.Contains("expired", late.Replies[0].Text);
        await t.MessageAsync(m => m.Text.Contains($"Approval request {first}") && m.Text.Contains("expired"), "the expiry notice in the request's thread");

        var second = IdOf(await t.SayAsync("bob", "deploy demo 1.1.0 to prod"));
        var denied = await t.SayAsync("alice", $"deny {second} not during the sale");
        Assert.Equal(CommandOutcome.Succeeded, denied.Outcome);
        Assert.Contains("not during the sale", denied.Replies[0].Text);
        Assert.Equal(CommandOutcome.Refused, (await t.SayAsync("alice", $"approve {second}")).Outcome);

        var third = IdOf(await t.SayAsync("bob", "deploy demo 1.1.0 to prod"));
        var notHis = await t.SayAsync("carol", $"cancel {third}");
        Assert.Equal(CommandOutcome.Refused, notHis.Outcome);
        var cancelled = await t.SayAsync("bob", $"cancel {third}");
        Assert.Equal(CommandOutcome.Succeeded, cancelled.Outcome);

        Assert.Equal(0, await desk.ExpireDueAsync(CancellationToken.None));
        Assert.Null(t.Board.Cell("demo", "prod")!.DesiredVersion); // nothing was ever committed for prod
        var unknown = await t.SayAsync("alice", "approve AZZZZ");
        Assert.Equal(CommandOutcome.Invalid, unknown.Outcome);
    }

    [Fact]
    public async Task Promote_takes_the_healthy_version_of_the_source_and_rollback_returns_to_the_previous_healthy_one()
    {
        await using var t = await DeliveryNode.StartAsync();
        await t.HealthyAsync("staging", "1.0.0");
        await t.SayAsync("bob", "deploy demo 1.1.0 to staging");
        await t.HealthyAsync("staging", "1.1.0");

        var promote = await t.SayAsync("bob", "promote demo from staging to prod");
        Assert.Equal(CommandOutcome.Pending, promote.Outcome);
        await t.SayAsync("alice", $"approve {IdOf(promote)}");
        await t.HealthyAsync("prod", "1.1.0");
        Assert.StartsWith("promote demo 1.1.0 from staging to prod", t.Repo.ReadCommit(t.Repo.HeadSha()!).Message);

        var back = await t.SayAsync("bob", "rollback demo in staging");
        Assert.True(back.Outcome == CommandOutcome.Succeeded, back.Replies.FirstOrDefault()?.Text);
        await t.HealthyAsync("staging", "1.0.0");
        Assert.StartsWith("rollback demo in staging to 1.0.0", t.Repo.ReadCommit(t.Repo.HeadSha()!).Message);

        var nothing = await t.SayAsync("bob", "promote demo from prod to dev");
        Assert.True(nothing.Outcome == CommandOutcome.Succeeded, nothing.Replies.FirstOrDefault()?.Text); // dev is not protected: committed at once
        await t.HealthyAsync("dev", "1.1.0");
    }
}
