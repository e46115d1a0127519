using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Capstan.Incidents.Store;

namespace Capstan.Incidents.Tests;

public sealed class AlertIntakeTests
{
    private static string Payload(string status, string groupKey, params (string Fingerprint, string Status, string Severity, string StartsAt, string? EndsAt)[] alerts) =>
        JsonSerializer.Serialize(new
        {
            receiver = "capstan",
            status,
            alerts = alerts.Select(a => new
            {
                status = a.Status,
                labels = new Dictionary<string, string> { ["alertname"] = "HighLatency", ["severity"] = a.Severity, ["app"] = "api", ["instance"] = a.Fingerprint },
                annotations = new Dictionary<string, string> { ["summary"] = "api p99 latency above 2s" },
                startsAt = a.StartsAt,
                endsAt = a.EndsAt ?? "0001-01-01T00:00:00Z",
                generatorURL = "http://prometheus.example:9090/graph",
                fingerprint = a.Fingerprint,
            }),
            groupLabels = new { alertname = "HighLatency" },
            commonLabels = alerts.Select(a => a.Severity).Distinct().Count() == 1 ? new Dictionary<string, string> { ["alertname"] = "HighLatency", ["severity"] = alerts[0].Severity } : new Dictionary<string, string> { ["alertname"] = "HighLatency" },
            commonAnnotations = new { summary = "api p99 latency above 2s" },
            externalURL = "http://alertmanager.example:9093",
            version = "4",
            groupKey,
            truncatedAlerts = 0,
        });

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(IncidentWeb web, string body, string? bearer = TestConfig.AlertToken, string? hmacSecret = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/hooks/alertmanager") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        if (hmacSecret is not null)
            request.Headers.Add("X-Capstan-Signature", "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(hmacSecret), Encoding.UTF8.GetBytes(body))));
        using var response = await web.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text.Length == 0 ? "{}" : text).RootElement.Clone());
    }

    private const string T0 = "2026-12-01T09:58:00Z";

    [Fact]
    public async Task A_firing_group_opens_an_incident_with_the_severity_its_labels_map_to_and_repeats_are_heartbeats()
    {
        await using var t = await IncidentNode.StartAsync(TestConfig.Yaml());
        await using var web = await IncidentWeb.StartAsync(t);
        var firing = Payload("firing", "{}:{alertname=\"HighLatency\"}", ("a1", "firing", "warning", T0, null));
        var (status, body) = await PostAsync(web, firing);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("opened", body.GetProperty("action").GetString());
        var i = (await t.Store.GetAsync(1, CancellationToken.None))!;
        Assert.Equal(("api p99 latency above 2s", "sev2", "bob"), (i.Title, i.Severity, i.Commander)); // warning → sev2; bob is on call
        Assert.Equal(["api"], i.Apps);
        Assert.Single(t.DirectMessages("bob"), m => m.Contains("INC-1"));

        // Alertmanager repeats a firing group every repeat_interval: nothing new happens.
        var (again, againBody) = await PostAsync(web, firing);
        Assert.Equal(HttpStatusCode.OK, again);
        Assert.Equal("repeat", againBody.GetProperty("action").GetString());
        Assert.Single(await t.Store.ListAsync(false, 10, CancellationToken.None));
        Assert.Single(await t.LedgerAsync("incident.alert"));

        // A second alert in the same group attaches; a critical one raises the severity.
        var (more, moreBody) = await PostAsync(web, Payload("firing", "{}:{alertname=\"HighLatency\"}", ("a1", "firing", "warning", T0, null), ("a2", "firing", "critical", "2026-12-01T10:01:00Z", null)));
        Assert.Equal(HttpStatusCode.OK, more);
        Assert.Equal("reclassified", moreBody.GetProperty("action").GetString());
        Assert.Equal("sev1", (await t.Store.GetAsync(1, CancellationToken.None))!.Severity);
        Assert.Single(await t.Store.ListAsync(false, 10, CancellationToken.None));
        Assert.Single(t.DirectMessages("alice")); // sev1 adds alice

        // Resolved: recorded, and per policy the incident resolves.
        t.Clock.Advance(TimeSpan.FromMinutes(12));
        var (done, doneBody) = await PostAsync(web, Payload("resolved", "{}:{alertname=\"HighLatency\"}", ("a1", "resolved", "warning", T0, "2026-12-01T10:11:00Z"), ("a2", "resolved", "critical", "2026-12-01T10:01:00Z", "2026-12-01T10:11:00Z")));
        Assert.Equal(HttpStatusCode.OK, done);
        Assert.Equal("resolved", doneBody.GetProperty("action").GetString());
        i = (await t.Store.GetAsync(1, CancellationToken.None))!;
        Assert.Equal(IncidentStatus.Resolved, i.Status);
        var (_, resolvedData) = Assert.Single(await t.LedgerAsync("incident.resolved"));
        Assert.Equal("alertmanager", (await t.LedgerAsync("incident.resolved"))[0].Entry.Actor);
        Assert.Contains("every alert of api p99 latency above 2s resolved", resolvedData.GetProperty("summary").GetString());
        var timeline = await t.RunAsync("alice", "incident timeline INC-1 alert");
        Assert.Contains("Alert group firing", timeline);
        Assert.Contains("Alert group resolved", timeline);
    }

    [Fact]
    public async Task Deliveries_out_of_order_never_undo_newer_ones_and_a_new_firing_after_resolution_opens_a_new_incident()
    {
        await using var t = await IncidentNode.StartAsync(TestConfig.Yaml());
        await using var web = await IncidentWeb.StartAsync(t);
        const string key = "{}:{alertname=\"DiskFull\"}";
        var firing = Payload("firing", key, ("d1", "firing", "info", T0, null));
        var resolved = Payload("resolved", key, ("d1", "resolved", "info", T0, "2026-12-01T10:05:00Z"));
        // The resolved notification overtakes the firing one.
        Assert.Equal("recorded", (await PostAsync(web, resolved)).Body.GetProperty("action").GetString());
        Assert.Equal("repeat", (await PostAsync(web, firing)).Body.GetProperty("action").GetString());
        Assert.Empty(await t.Store.ListAsync(false, 10, CancellationToken.None));

        // The same alert firing again later (a new startsAt) is news: an incident; then its resolution resolves it.
        var later = Payload("firing", key, ("d1", "firing", "info", "2026-12-01T11:00:00Z", null));
        Assert.Equal("opened", (await PostAsync(web, later)).Body.GetProperty("action").GetString());
        var laterResolved = Payload("resolved", key, ("d1", "resolved", "info", "2026-12-01T11:00:00Z", "2026-12-01T11:20:00Z"));
        Assert.Equal("resolved", (await PostAsync(web, laterResolved)).Body.GetProperty("action").GetString());
        // A late copy of the firing notification does not reopen it.
        Assert.Equal("repeat", (await PostAsync(web, later)).Body.GetProperty("action").GetString());
        var all = await t.Store.ListAsync(false, 10, CancellationToken.None);
        Assert.Equal(IncidentStatus.Resolved, Assert.Single(all).Status);
        Assert.Equal("sev3", all[0].Severity);
    }

    [Fact]
    public async Task Unsigned_wrongly_signed_and_malformed_deliveries_are_refused_with_4xx_and_recorded()
    {
        await using var t = await IncidentNode.StartAsync(TestConfig.Yaml());
        await using var web = await IncidentWeb.StartAsync(t);
        var good = Payload("firing", "{}:{alertname=\"X\"}", ("x1", "firing", "critical", T0, null));

        var (unsigned, u) = await PostAsync(web, good, bearer: null);
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned);
        Assert.Contains("not signed", u.GetProperty("error").GetString());
        var (wrong, w) = await PostAsync(web, good, bearer: "not-the-token-at-all-123");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong);
        Assert.Contains("does not match", w.GetProperty("error").GetString());
        var (badHmac, _) = await PostAsync(web, good, bearer: null, hmacSecret: "some-other-secret-0123456789");
        Assert.Equal(HttpStatusCode.Unauthorized, badHmac);

        var (notJson, nj) = await PostAsync(web, "{\"version\": \"4\", \"alerts\": [");
        Assert.Equal(HttpStatusCode.BadRequest, notJson);
        Assert.Contains("not an Alertmanager version 4 payload", nj.GetProperty("error").GetString());
        var (oldVersion, ov) = await PostAsync(web, good.Replace("\"version\":\"4\"", "\"version\":\"3\""));
        Assert.Equal(HttpStatusCode.BadRequest, oldVersion);
        Assert.Contains("version \"3\" is not supported", ov.GetProperty("error").GetString());
        var (noFingerprint, nf) = await PostAsync(web, good.Replace("\"fingerprint\":\"x1\"", "\"fingerprint\":\"\""));
        Assert.Equal(HttpStatusCode.BadRequest, noFingerprint);
        Assert.Contains("has no \"fingerprint\"", nf.GetProperty("error").GetString());

        Assert.Empty(await t.Store.ListAsync(false, 10, CancellationToken.None));
        var rejected = await t.LedgerAsync("alert.rejected");
        Assert.Equal([401, 401, 401, 400, 400, 400], rejected.Select(r => r.Data.GetProperty("status").GetInt32()).ToArray());
        Assert.DoesNotContain(rejected, r => r.Entry.Data.Contains(TestConfig.AlertToken, StringComparison.Ordinal));

        // Signed with the HMAC secret instead of the token: accepted.
        var (signed, s) = await PostAsync(web, good, bearer: null, hmacSecret: TestConfig.AlertHmac);
        Assert.Equal(HttpStatusCode.OK, signed);
        Assert.Equal("opened", s.GetProperty("action").GetString());
        Assert.Equal("sev1", (await t.Store.GetAsync(1, CancellationToken.None))!.Severity);
    }

    [Fact]
    public async Task Intake_is_refused_with_a_sentence_when_no_secret_is_configured()
    {
        await using var t = await IncidentNode.StartAsync(TestConfig.Yaml().Replace($"token: \"{TestConfig.AlertToken}\"", "").Replace($"hmacSecret: \"{TestConfig.AlertHmac}\"", ""));
        await using var web = await IncidentWeb.StartAsync(t);
        var (status, body) = await PostAsync(web, Payload("firing", "k", ("z", "firing", "info", T0, null)));
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("Alert intake is off: set incidents.alerts.token", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task The_alert_token_and_webhook_secrets_never_reach_the_ledger_or_chat_in_clear_text()
    {
        await using var t = await IncidentNode.StartAsync(TestConfig.Yaml(webhooks: "{ pager: { url: \"http://127.0.0.1:9/hook\", secret: \"whsec-abcdef0123456789\" } }"));
        await t.SayAsync("bob", $"is the token {TestConfig.AlertToken} or whsec-abcdef0123456789?");
        var said = (await t.LedgerAsync("chat.message")).Single(m => m.Entry.Actor == "bob");
        Assert.DoesNotContain(TestConfig.AlertToken, said.Entry.Data);
        Assert.DoesNotContain("whsec-abcdef0123456789", said.Entry.Data);
        Assert.Contains("[redacted]", said.Entry.Data);
    }
}
