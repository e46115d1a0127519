using Capstan.Incidents.Postmortems;

namespace Capstan.Incidents.Tests;

public sealed class TimelineAndPostmortemTests
{
    private static async Task DeliveryAsync(IncidentNode t, string kind, string actor, object data) =>
        await t.Node.Ledger.AppendAsync(kind, actor, "ops", null, data);

    [Fact]
    public async Task The_timeline_has_every_message_command_change_and_deploy_of_the_affected_apps_in_order()
    {
        await using var t = await IncidentNode.StartAsync(TestConfig.Yaml());
        await DeliveryAsync(t, "delivery.commit", "bob", new { app = "api", environment = "prod", version = "1.4.0", subject = "deploy api 1.4.0 to prod (before)" });
        t.Clock.Advance(TimeSpan.FromMinutes(1));
        await t.RunAsync("carol", "incident open \"checkout latency\" sev2 app=api");
        t.Clock.Advance(TimeSpan.FromMinutes(1));
        await t.SayAsync("bob", "error rate on api jumped at 09:58", "inc-1");
        await DeliveryAsync(t, "delivery.commit", "bob", new { app = "api", environment = "prod", version = "1.4.2", subject = "rollback api to 1.4.2 in prod" });
        await DeliveryAsync(t, "delivery.failed", "capstan", new { app = "web", environment = "prod", version = "2.0.0", subject = "web 2.0.0 failed in prod" });
        await DeliveryAsync(t, "delivery.healthy", "capstan", new { app = "api", environment = "staging", version = "1.5.0", subject = "api 1.5.0 healthy in staging" });
        await DeliveryAsync(t, "delivery.healthy", "capstan", new { app = "api", environment = "prod", version = "1.4.2", subject = "api 1.4.2 healthy in prod" });
        t.Clock.Advance(TimeSpan.FromMinutes(1));
        await t.RunAsync("bob", "incident ack", "inc-1");
        await t.RunAsync("carol", "incident sev INC-1 sev3 recovering");
        t.Clock.Advance(TimeSpan.FromMinutes(2));
        await t.RunAsync("carol", "incident resolve INC-1 rolled back to 1.4.2");
        t.Clock.Advance(TimeSpan.FromMinutes(5));
        await DeliveryAsync(t, "delivery.commit", "bob", new { app = "api", environment = "prod", version = "1.4.3", subject = "deploy api 1.4.3 to prod (after)" });

        var i = (await t.Store.GetAsync(1, CancellationToken.None))!;
        var entries = await t.Get<Timeline.IncidentTimeline>().BuildAsync(i, CancellationToken.None);
        Assert.Equal(entries.Select(e => e.Seq).Order(), entries.Select(e => e.Seq));
        var texts = entries.Select(e => $"{e.Category}|{e.Actor}|{e.Text}").ToList();
        int At(string s) => texts.FindIndex(x => x.Contains(s, StringComparison.Ordinal));
        Assert.Contains(texts, x => x.Contains("status|carol|Declared [sev2] checkout latency; commander carol; affects api in prod", StringComparison.Ordinal));
        Assert.True(At("chat|bob|error rate on api jumped") > At("Declared"));
        Assert.True(At("delivery|bob|rollback api to 1.4.2 in prod") > At("chat|bob|error rate"));
        Assert.True(At("delivery|capstan|api 1.4.2 healthy in prod") > At("rollback api"));
        Assert.True(At("command|bob|`incident ack") > At("healthy in prod"));
        Assert.True(At("status|bob|Acknowledged") > At("command|bob|`incident ack"));
        Assert.True(At("command|carol|`incident sev INC-1 sev3 recovering`") > At("Acknowledged")); // typed in #ops
        Assert.True(At("status|carol|Severity sev2 → sev3: recovering") > At("command|carol|`incident sev"));
        Assert.True(At("status|carol|Resolved: rolled back to 1.4.2") > At("Severity"));
        Assert.True(At("notify|capstan|Notified room:ops") > 0);
        Assert.Equal(-1, At("web 2.0.0"));          // another app
        Assert.Equal(-1, At("staging"));            // another environment
        Assert.Equal(-1, At("(before)"));           // before the incident
        Assert.Equal(-1, At("(after)"));            // after it was resolved
        Assert.DoesNotContain(entries, e => e.Kind == "policy.decision");

        var onlyDeliveries = await t.RunAsync("alice", "incident timeline INC-1 delivery");
        Assert.Contains("rollback api to 1.4.2 in prod", onlyDeliveries);
        Assert.DoesNotContain("error rate", onlyDeliveries);
        var bad = await t.SayAsync("alice", "incident timeline INC-1 gossip");
        Assert.Contains("unknown category 'gossip'", bad.Replies[0].Text);
    }

    [Fact]
    public async Task The_postmortem_is_drafted_from_the_timeline_committed_as_the_person_and_rendered_safely()
    {
        await using var t = await IncidentNode.StartAsync(TestConfig.Yaml());
        await t.RunAsync("carol", "incident open \"checkout latency\" sev2 app=api");
        t.Clock.Advance(TimeSpan.FromMinutes(2));
        await t.SayAsync("bob", "the 1.4.3 deploy doubled the query count", "inc-1");
        await DeliveryAsync(t, "delivery.rollback", "capstan", new { app = "api", environment = "prod", version = "1.4.2", subject = "automatic rollback of api 1.4.3 to 1.4.2 in prod" });
        t.Clock.Advance(TimeSpan.FromMinutes(1));
        await t.RunAsync("bob", "incident ack INC-1");
        await t.RunAsync("carol", "incident task INC-1 add a query-count alert @bob");
        await t.RunAsync("carol", "incident note INC-1 <script>alert(1)</script> seen in the logs");
        var i = (await t.Store.GetAsync(1, CancellationToken.None))!;
        var clue = (await t.Get<Timeline.IncidentTimeline>().BuildAsync(i, CancellationToken.None)).Single(e => e.Text.Contains("doubled the query count"));
        Assert.Contains($"Entry {clue.Seq} is now a key entry", await t.RunAsync("carol", $"incident mark INC-1 {clue.Seq}"));
        var notThere = await t.SayAsync("carol", "incident mark INC-1 999999");
        Assert.Contains("Entry 999999 is not in INC-1's timeline", notThere.Replies[0].Text);
        t.Clock.Advance(TimeSpan.FromMinutes(7));
        await t.RunAsync("carol", "incident resolve INC-1 rolled back the 1.4.3 deploy");

        var reply = await t.RunAsync("alice", "incident postmortem INC-1");
        Assert.Contains("Committed postmortems/INC-1.md", reply);
        Assert.Contains("as Alice Admin", reply);
        var commit = t.Node.ConfigRepo.Log(1)[0];
        Assert.Equal(("Alice Admin", "alice@example.com"), (commit.AuthorName, commit.AuthorEmail));
        Assert.Contains("Incident: INC-1", commit.Message);
        var md = t.Node.ConfigRepo.ReadFiles(commit.Sha)["postmortems/INC-1.md"];
        Assert.StartsWith("# INC-1: checkout latency", md);
        Assert.Contains("## Summary\n\nrolled back the 1.4.3 deploy", md);
        Assert.Contains("## Impact\n\nAffected: api in prod.\nDuration: 10m.", md);
        Assert.Contains("**Time to acknowledge:** 3m", md);
        Assert.Contains("**Time to resolve:** 10m", md);
        Assert.Matches(@"## Key moments\n\n- \*\*2026-12-01 10:02:00 UTC\*\* bob: the 1\.4\.3 deploy doubled the query count\n", md);
        Assert.Contains("## Contributing deploys\n\n- 2026-12-01 10:02:00 UTC — automatic rollback of api 1.4.3 to 1.4.2 in prod (capstan)", md);
        Assert.Contains("- [ ] add a query-count alert (@bob) — task 1", md);
        Assert.Contains("| 10:03:00 | bob | Acknowledged |  |", md);
        Assert.Contains(t.Posted("inc-1"), m => m.Contains("Postmortem for INC-1 committed by alice as postmortems/INC-1.md"));
        Assert.NotNull((await t.Store.GetAsync(1, CancellationToken.None))!.Postmortem);

        var html = PostmortemWriter.Render(md);
        Assert.Contains(">Summary</h2>", html);
        Assert.Contains("<table>", html);
        Assert.DoesNotContain("<script>", html);
        Assert.Contains("&lt;script&gt;", html);
    }
}
