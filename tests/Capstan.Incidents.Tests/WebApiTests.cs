using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Capstan.Core.Access;

namespace Capstan.Incidents.Tests;

public sealed class WebApiTests
{
    [Fact]
    public async Task The_web_api_opens_incidents_adds_notes_marks_key_entries_and_serves_the_rendered_postmortem()
    {
        await using var t = await IncidentNode.StartAsync(TestConfig.Yaml());
        await using var web = await IncidentWeb.StartAsync(t);
        var anonymous = await web.Http.GetAsync("/api/incidents");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        var token = await t.Get<AccessTokens>().IssueAsync("bob", TokenKind.Api, "test", null, CancellationToken.None);
        web.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Secret);

        var opened = await web.Http.PostAsJsonAsync("/api/incidents", new { title = "checkout latency", severity = "sev2", apps = "api, web" });
        Assert.Equal(HttpStatusCode.OK, opened.StatusCode);
        Assert.Equal("INC-1", (await opened.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString());
        var badSeverity = await web.Http.PostAsJsonAsync("/api/incidents", new { title = "x", severity = "sev9" });
        Assert.Equal(HttpStatusCode.BadRequest, badSeverity.StatusCode);
        Assert.Contains("unknown severity 'sev9'", (await badSeverity.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());

        t.Clock.Advance(TimeSpan.FromMinutes(3));
        Assert.Equal(HttpStatusCode.OK, (await web.Http.PostAsJsonAsync("/api/incidents/1/notes", new { text = "cache hit rate dropped at 09:55" })).StatusCode);
        var detail = await web.Http.GetFromJsonAsync<JsonElement>("/api/incidents/1");
        Assert.Equal("bob", detail.GetProperty("incident").GetProperty("commander").GetString());
        Assert.Equal(["api", "web"], detail.GetProperty("incident").GetProperty("apps").EnumerateArray().Select(a => a.GetString()!).ToArray());
        var note = detail.GetProperty("timeline").EnumerateArray().Single(e => e.GetProperty("category").GetString() == "note");
        Assert.Equal(("bob", "cache hit rate dropped at 09:55", false), (note.GetProperty("actor").GetString(), note.GetProperty("text").GetString(), note.GetProperty("key").GetBoolean()));

        var seq = note.GetProperty("seq").GetInt64();
        Assert.Equal(HttpStatusCode.OK, (await web.Http.PostAsJsonAsync("/api/incidents/1/marks", new { seq, key = true })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await web.Http.PostAsJsonAsync("/api/incidents/1/marks", new { seq = 999999, key = true })).StatusCode);
        detail = await web.Http.GetFromJsonAsync<JsonElement>("/api/incidents/1");
        Assert.True(detail.GetProperty("timeline").EnumerateArray().Single(e => e.GetProperty("seq").GetInt64() == seq).GetProperty("key").GetBoolean());

        var missing = await web.Http.GetAsync("/api/incidents/7");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("There is no incident INC-7. Open incidents: INC-1.", await missing.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await web.Http.GetAsync("/incidents/1/postmortem")).StatusCode);

        t.Clock.Advance(TimeSpan.FromMinutes(2));
        await t.RunAsync("bob", "incident resolve INC-1 flushed the cache");
        await t.RunAsync("bob", "incident postmortem INC-1");
        var page = await web.Http.GetStringAsync("/incidents/1/postmortem");
        Assert.Contains(">Summary</h2>", page);
        Assert.Contains("flushed the cache", page);
        Assert.Contains("<strong>Time to resolve:</strong> 5m", page);
        Assert.Contains("cache hit rate dropped at 09:55", page); // the key entry

        var list = await web.Http.GetFromJsonAsync<JsonElement>("/api/incidents?all=true");
        var row = Assert.Single(list.GetProperty("incidents").EnumerateArray());
        Assert.Equal(("resolved", "5m", 300.0), (row.GetProperty("status").GetString(), row.GetProperty("toResolveText").GetString(), row.GetProperty("toResolve").GetDouble()));
        Assert.Equal("5m", list.GetProperty("figures").GetProperty("mttrText").GetString());
        Assert.Equal(["sev1", "sev2", "sev3"], list.GetProperty("severities").EnumerateArray().Select(s => s.GetProperty("name").GetString()!).ToArray());
    }
}
