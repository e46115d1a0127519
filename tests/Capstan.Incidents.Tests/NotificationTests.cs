using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Capstan.Core.Access;
using Capstan.Incidents.Store;

namespace Capstan.Incidents.Tests;

public sealed class NotificationTests
{
    private const string Secret = "whsec-0123456789abcdef";

    private static async Task WaitForAsync(Func<bool> done, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!done())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("timed out waiting for " + what);
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task A_webhook_on_a_loopback_address_is_called_only_when_capstan_yaml_egress_allows_it()
    {
        await using var receiver = new Receiver();
        await receiver.StartAsync();
        var yaml = TestConfig.Yaml(routes: "[{ on: [incident.opened], to: [\"webhook:pager\"] }]", webhooks: $"{{ pager: {{ url: \"{receiver.Url}\", secret: \"{Secret}\" }} }}");
        await using var t = await IncidentNode.StartAsync(yaml);
        var main = t.Node.Config.Current.Files["capstan.yaml"];
        var closed = System.Text.RegularExpressions.Regex.Replace(main, @"^egress:\n(?:[ \t]+.*\n|[ \t]*\n)*", "", System.Text.RegularExpressions.RegexOptions.Multiline);
        Assert.NotEqual(main, closed);
        Assert.Null(await t.PushAsync("capstan.yaml", closed));

        await t.RunAsync("carol", "incident open \"checkout latency\" sev2 app=api");
        Assert.Equal(0, await t.TickAsync());
        var d = Assert.Single(await t.Store.DeliveriesAsync(10, CancellationToken.None));
        Assert.Equal(QueuedNotification.Pending, d.State);
        Assert.Contains("webhook 'pager': 127.0.0.1 is a loopback address, and capstan.yaml's egress: allow: does not list it", d.LastError);
        Assert.Empty(receiver.Requests);

        // An admin allows it; the retry goes out.
        Assert.Null(await t.PushAsync("capstan.yaml", main));
        t.Clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(1, await t.TickAsync());
        Assert.Single(receiver.Requests);
    }

    [Fact]
    public async Task A_webhook_receiver_that_is_down_gets_the_signed_call_later_even_across_a_restart_and_it_is_visible_meanwhile()
    {
        await using var receiver = new Receiver();
        var yaml = TestConfig.Yaml(routes: "[{ on: [incident.opened, incident.resolved], to: [\"webhook:pager\"] }]", webhooks: $"{{ pager: {{ url: \"{receiver.Url}\", secret: \"{Secret}\" }} }}");
        var root = Path.Combine(Path.GetTempPath(), "capstan-incidents-" + Guid.NewGuid().ToString("N")[..10]);
        var first = await IncidentNode.StartAsync(yaml, root);
        var reply = await first.RunAsync("carol", "incident open \"checkout latency\" sev2 app=api"); // the receiver is down: the command does not wait for it
        Assert.Contains("webhook pager (queued as delivery 1)", reply);
        Assert.Equal(0, await first.TickAsync());
        var d = Assert.Single(await first.Store.DeliveriesAsync(10, CancellationToken.None));
        Assert.Equal((QueuedNotification.Pending, 1), (d.State, d.Attempts));
        Assert.Contains("could not be reached", d.LastError);
        Assert.Equal(IncidentNode.Start + TimeSpan.FromSeconds(5), d.NextAt);

        // Visible in the UI's API while it waits.
        await using (var web = await IncidentWeb.StartAsync(first))
        {
            var token = await first.Get<AccessTokens>().IssueAsync("alice", TokenKind.Api, "test", null, CancellationToken.None);
            web.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Secret);
            var list = await web.Http.GetFromJsonAsync<JsonElement>("/api/notifications");
            var row = Assert.Single(list.EnumerateArray());
            Assert.Equal(("webhook", "pager", "pending", 1), (row.GetProperty("channel").GetString(), row.GetProperty("target").GetString(), row.GetProperty("state").GetString(), row.GetProperty("attempts").GetInt32()));
        }
        Assert.Single(await first.LedgerAsync("notification.retry"));
        await first.CloseAsync();

        // Capstan restarts; the receiver comes up. Nothing goes out before the retry is due, then it does.
        await using var second = await IncidentNode.StartAsync(root: root, clock: first.Clock);
        await receiver.StartAsync();
        Assert.Equal(0, await second.TickAsync());
        Assert.Empty(receiver.Requests);
        second.Clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(1, await second.TickAsync());
        var got = Assert.Single(receiver.Requests);
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes(got.Body)));
        Assert.Equal(expected, got.Headers["X-Capstan-Signature"]);
        Assert.Equal("incident.opened", got.Headers["X-Capstan-Event"]);
        using var body = JsonDocument.Parse(got.Body);
        Assert.Equal("incident.opened", body.RootElement.GetProperty("event").GetString());
        Assert.Equal("INC-1", body.RootElement.GetProperty("data").GetProperty("incident").GetString());
        Assert.Equal("sev2", body.RootElement.GetProperty("data").GetProperty("severity").GetString());
        var done = Assert.Single(await second.Store.DeliveriesAsync(10, CancellationToken.None));
        Assert.Equal((QueuedNotification.Delivered, 2), (done.State, done.Attempts));

        // A receiver answering 500 is retried with a doubling wait; delivered ones are not sent again.
        receiver.Status = 500;
        await second.RunAsync("carol", "incident resolve INC-1 fixed");
        await second.TickAsync();
        var failing = (await second.Store.DeliveriesAsync(10, CancellationToken.None))[0];
        Assert.Equal((QueuedNotification.Pending, 1), (failing.State, failing.Attempts));
        Assert.Contains("answered 500", failing.LastError);
        second.Clock.Advance(TimeSpan.FromSeconds(5));
        await second.TickAsync();
        failing = (await second.Store.DeliveriesAsync(10, CancellationToken.None))[0];
        Assert.Equal(2, failing.Attempts);
        Assert.Equal(second.Clock.GetUtcNow() + TimeSpan.FromSeconds(10), failing.NextAt);
        receiver.Status = 200;
        second.Clock.Advance(TimeSpan.FromSeconds(10));
        await second.TickAsync();
        Assert.Equal(QueuedNotification.Delivered, (await second.Store.DeliveriesAsync(10, CancellationToken.None))[0].State);
        Assert.Equal(3, receiver.Requests.Count(r => r.Headers["X-Capstan-Event"] == "incident.resolved")); // 500, 500, 200
        Assert.Single(receiver.Requests, r => r.Headers["X-Capstan-Event"] == "incident.opened");
    }

    [Fact]
    public async Task Quiet_hours_hold_messages_until_morning_except_at_the_highest_severity_and_muted_events_are_not_sent()
    {
        var yaml = TestConfig.Yaml(routes: "[{ on: [incident.opened, deploy.failed], to: [\"@carol\"] }]",
            people: "{ carol: { timezone: Europe/Berlin, quiet: \"22:00-07:00\", mute: [deploy.failed] } }");
        await using var t = await IncidentNode.StartAsync(yaml);
        t.Clock.SetUtcNow(new DateTimeOffset(2026, 12, 1, 22, 30, 0, TimeSpan.Zero)); // 23:30 in Berlin
        var reply = await t.RunAsync("alice", "incident open \"search slow\" sev2");
        Assert.Contains("carol (held for carol's quiet hours until 06:00 UTC)", reply);
        Assert.Empty(t.DirectMessages("carol"));
        await t.RunAsync("bob", "incident ack INC-1"); // no escalation in this test
        await t.RunAsync("alice", "incident open \"checkout down\" sev1");
        await t.RunAsync("bob", "incident ack INC-2");
        Assert.Single(t.DirectMessages("carol"), m => m.Contains("INC-2"));

        await t.Node.Ledger.AppendAsync("delivery.failed", "capstan", "ops", null, new { app = "api", environment = "prod", version = "1.5.0", subject = "api 1.5.0 failed in prod" });
        await t.TickAsync();
        Assert.DoesNotContain(t.DirectMessages("carol"), m => m.Contains("1.5.0"));

        t.Clock.SetUtcNow(new DateTimeOffset(2026, 12, 2, 5, 59, 0, TimeSpan.Zero));
        await t.TickAsync();
        Assert.DoesNotContain(t.DirectMessages("carol"), m => m.Contains("INC-1"));
        t.Clock.SetUtcNow(new DateTimeOffset(2026, 12, 2, 6, 0, 0, TimeSpan.Zero));
        await t.TickAsync();
        Assert.Single(t.DirectMessages("carol"), m => m.Contains("INC-1") && m.Contains("(held during your quiet hours)"));
    }

    [Fact]
    public async Task Deploy_failures_drift_approvals_and_failed_jobs_from_the_ledger_go_where_the_routes_say()
    {
        await using var receiver = new Receiver();
        await receiver.StartAsync();
        var yaml = TestConfig.Yaml(routes: "[{ on: [deploy.failed, drift.detected, approval.requested, job.failed], to: [dev, \"webhook:pager\"] }, { on: [deploy.failed], apps: [web], to: [\"@bob\"] }]",
            webhooks: $"{{ pager: {{ url: \"{receiver.Url}\" }} }}");
        await using var t = await IncidentNode.StartAsync(yaml);
        var ledger = t.Node.Ledger;
        await ledger.AppendAsync("delivery.failed", "capstan", "ops", null, new { app = "api", environment = "prod", version = "1.5.0", reason = "health check failed", subject = "api 1.5.0 failed in prod" });
        await ledger.AppendAsync("delivery.drift", "capstan", "ops", null, new { app = "api", environment = "prod", version = "1.4.2", subject = "drift: api 1.4.2 (pid 42) in prod is not running" });
        await ledger.AppendAsync("delivery.approval.requested", "bob", "ops", null, new { id = "A7KQ", action = "deploy", app = "api", environment = "prod", version = "1.5.1", subject = "deploy api 1.5.1 to prod" });
        await ledger.AppendAsync("job.finished", "bob", "ops", null, new { job = "j12", kind = "runbook", state = "failed", summary = "step 2 timed out" });
        await ledger.AppendAsync("job.finished", "bob", "ops", null, new { job = "j13", kind = "runbook", state = "succeeded", summary = "all good" });
        await WaitForAsync(() => t.Node.Ledger.Store is not null, "the ledger");
        await t.TickAsync();
        var dev = t.Posted("dev");
        Assert.Contains(dev, m => m == "❌ Deploy failed: api 1.5.0 failed in prod — health check failed");
        Assert.Contains(dev, m => m.Contains("Drift detected: drift: api 1.4.2 (pid 42) in prod is not running"));
        Assert.Contains(dev, m => m.Contains("Approval requested by bob: deploy api 1.5.1 to prod. `approve A7KQ`"));
        Assert.Contains(dev, m => m.Contains("Job j12 (runbook) failed: step 2 timed out"));
        Assert.DoesNotContain(dev, m => m.Contains("j13"));
        Assert.Empty(t.DirectMessages("bob")); // that route is for app web only
        await WaitForAsync(() => receiver.Requests.Count >= 4, "four webhook calls");
        Assert.Equal(["approval.requested", "deploy.failed", "drift.detected", "job.failed"], receiver.Requests.Select(r => r.Headers["X-Capstan-Event"]).Order().ToArray());
        Assert.DoesNotContain(receiver.Requests, r => r.Headers.ContainsKey("X-Capstan-Signature")); // no secret, no signature
    }
}
