using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Capstan.Web.Tests;

/// <summary>
/// A viewer (carol) and the apps, runbooks and Git put hostile text into every field a page shows; an admin (alice)
/// opens each page and clicks its links in real Chromium. No script may run, no API token may be created with her
/// session, and the text is shown literally.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class InjectionTests(Chromium chromium, CapstanServer server) : IClassFixture<CapstanServer>
{
    // Every payload, were it run, sets window.__pwned and asks for an API token with the session cookie;
    // were it loaded as markup, the browser would request an address containing "pwned".
    private const string Run = "window.__pwned=1;fetch('/api/tokens?label=pwned',{method:'POST'})";
    private const string ImgTag = "<img src=x-pwned onerror=\"" + Run + "\">";
    private const string ScriptTag = "<script>" + Run + "</script>";
    private const string SvgBreakout = "\"><svg onload=\"" + Run + "\">";
    private const string MarkdownLink = "[open runbook](javascript:" + Run + ")";
    private const string MarkdownImage = "![chart](javascript:" + Run + ")";
    private const string DataLink = "[details](data:text/html;base64,PHNjcmlwdD5hbGVydCgncHduZWQnKTwvc2NyaXB0Pg==)";
    private const string RawHtmlLink = "<a href=\"javascript:" + Run + "\">pwned link</a>";

    private static readonly string[] Payloads = [ImgTag, ScriptTag, SvgBreakout, MarkdownLink, MarkdownImage, DataLink, RawHtmlLink];

    [Fact]
    public async Task Hostile_text_in_every_field_is_shown_literally_and_never_runs_in_an_admins_browser()
    {
        var alice = await TokenAsync("alice");
        var carol = await TokenAsync("carol");
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };

        // Chat and a thread reply, by a viewer.
        var root = await PostAsync(http, carol, "ops", new { text = "root " + ImgTag, addressed = false });
        foreach (var p in Payloads.Skip(1)) await PostAsync(http, carol, "ops", new { text = "chat " + p, addressed = false });
        await PostAsync(http, carol, "ops", new { text = "reply " + MarkdownLink, threadId = root.GetProperty("messageId").GetString(), addressed = false });

        // An incident with a hostile title, notes by the viewer, an update, and a committed postmortem.
        var opened = await SendAsync(http, alice, HttpMethod.Post, "/api/incidents", new { title = "title " + SvgBreakout + ImgTag, severity = "sev2", apps = "demo" });
        var n = opened.GetProperty("number").GetInt64();
        foreach (var p in Payloads) await SendAsync(http, carol, HttpMethod.Post, $"/api/incidents/{n}/notes", new { text = "note " + p });
        await SayAsync("carol", $"inc-{n}", "incident update update <img src=x-pwned onerror=window.__pwned=1>");
        await SayAsync("alice", $"inc-{n}", "incident resolve resolved <script>window.__pwned=1</script>");
        await SayAsync("alice", $"inc-{n}", "incident postmortem");

        // A runbook whose script prints the payloads and whose sql step returns them as table cells; the app's description too.
        await PushAsync(new Dictionary<string, string>
        {
            ["scripts/hostile.sh"] = "#!/bin/sh\ncat <<'EOF'\n" + string.Join("\n", Payloads) + "\nEOF\n",
            ["runbooks/hostile.yaml"] = $$"""
                description: prints hostile text
                steps:
                  - name: print
                    script: scripts/hostile.sh
                  - name: cells
                    sql: { driver: sqlite, connection: "Data Source={{Path.Combine(server.DataDir, "hostile.db")}}", query: "SELECT text FROM hostile" }
                """,
        }, Path.Combine(server.DataDir, "hostile.db"));
        var diag = await PostAsync(http, alice, "ops", new { text = "diag hostile" });
        var job = await JobIdAsync(http, alice, diag);

        var page = await chromium.NewPageAsync();
        var pwnedRequests = new List<string>();
        page.Context.Request += (_, r) => { if (r.Url.Contains("pwned", StringComparison.Ordinal)) lock (pwnedRequests) pwnedRequests.Add(r.Method + " " + r.Url); };
        var dialogs = new List<string>();
        page.Dialog += async (_, d) => { dialogs.Add(d.Message); await d.DismissAsync(); };
        try
        {
            await page.GotoAsync(await server.SignInLinkAsync("alice") + "&next=/");
            await Expect(page.GetByTestId("me")).ToContainTextAsync("(alice)");
            var csp = (await page.ReloadAsync())!.Headers["content-security-policy"];
            Assert.Contains("script-src 'self'", csp);

            // Chat and thread: every payload is there as text.
            var messages = page.GetByTestId("messages");
            foreach (var p in Payloads) await Expect(messages).ToContainTextAsync(p);
            await Expect(page.Locator($".thread[data-root=\"{root.GetProperty("messageId").GetString()}\"]")).ToContainTextAsync("reply " + MarkdownLink);
            await ClickAllLinksAsync(page, "#messages a");
            await AssertCleanAsync(page, "chat");

            // The incident list and page: title, notes and update as text.
            await page.GotoAsync(server.Url + "/incidents");
            await page.Locator("#all").CheckAsync();
            await Expect(page.GetByTestId("incidents")).ToContainTextAsync("title " + SvgBreakout + ImgTag);
            await AssertCleanAsync(page, "incidents");
            await page.GotoAsync($"{server.Url}/incidents/{n}");
            await Expect(page.GetByTestId("title")).ToContainTextAsync("title " + SvgBreakout + ImgTag);
            var timeline = page.GetByTestId("timeline");
            foreach (var p in Payloads) await Expect(timeline).ToContainTextAsync("note " + p);
            await Expect(timeline).ToContainTextAsync("<img src=x-pwned onerror=window.__pwned=1>");
            await AssertCleanAsync(page, "incident");

            // The postmortem, rendered from Markdown: links keep their text and lose a javascript:/data: address; clicking does nothing.
            await page.GotoAsync($"{server.Url}/incidents/{n}/postmortem");
            var article = page.GetByTestId("postmortem");
            await Expect(article.Locator("h1")).ToContainTextAsync("title " + SvgBreakout + ImgTag);
            await Expect(article).ToContainTextAsync("note " + ScriptTag);
            await Expect(article.Locator("a", new() { HasTextString = "open runbook" }).First).ToBeVisibleAsync();
            Assert.Equal(0, await article.Locator("script, svg, iframe, object, [onerror], [onload]").CountAsync());
            foreach (var href in await article.Locator("a[href], img[src]").EvaluateAllAsync<string[]>("els => els.map(e => e.getAttribute('href') ?? e.getAttribute('src'))"))
                Assert.Matches("^(https?:|mailto:|/|#|[^:]*$)", href);
            await ClickAllLinksAsync(page, "article a");
            await AssertCleanAsync(page, "postmortem");

            // The job: its output and its result table cells.
            await page.GotoAsync($"{server.Url}/jobs/{job}");
            await Expect(page.GetByTestId("state")).ToHaveTextAsync("succeeded", new() { Timeout = 30_000 });
            foreach (var p in Payloads) await Expect(page.GetByTestId("output")).ToContainTextAsync(p);
            foreach (var p in Payloads) await Expect(page.GetByTestId("table")).ToContainTextAsync(p);
            await Expect(page.GetByTestId("result")).ToBeVisibleAsync();
            await AssertCleanAsync(page, "job");
            await page.GotoAsync(server.Url + "/jobs");
            await Expect(page.GetByTestId("jobs")).ToContainTextAsync("diag hostile");
            await AssertCleanAsync(page, "jobs");

            // The dashboard shows the app's description from Git.
            await page.GotoAsync(server.Url + "/dashboard");
            await Expect(page.GetByTestId("board")).ToContainTextAsync("demo " + ImgTag);
            await ClickAllLinksAsync(page, "[data-testid=board] a");
            await AssertCleanAsync(page, "dashboard");

            // Ledger search results.
            await page.GotoAsync(server.Url + "/ledger?q=onerror");
            await Expect(page.GetByTestId("ledger")).ToContainTextAsync(ImgTag);
            await AssertCleanAsync(page, "ledger");

            await page.GotoAsync(server.Url + "/indicators");
            await Expect(page.GetByTestId("heading")).ToContainTextAsync("DORA for");
            await AssertCleanAsync(page, "indicators");

            lock (pwnedRequests) Assert.True(pwnedRequests.Count == 0, "the browser loaded or sent: " + string.Join(", ", pwnedRequests));
            Assert.Empty(dialogs);
            // No API token was created with alice's session while she browsed.
            var created = await SendAsync(http, alice, HttpMethod.Get, "/api/ledger?kind=access.token.created&limit=1000", null);
            Assert.DoesNotContain(created.EnumerateArray(), e => e.GetProperty("data").GetProperty("label").GetString() == "pwned");
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    private static async Task AssertCleanAsync(IPage page, string where)
    {
        var pwned = await page.EvaluateAsync<JsonElement?>("() => window.__pwned ?? null");
        Assert.True(pwned is null || pwned.Value.ValueKind == JsonValueKind.Null, $"a script ran on the {where} page");
    }

    // Clicks every link of the selector in turn (ctrl-free, as a person would), coming back when one navigates away.
    private static async Task ClickAllLinksAsync(IPage page, string selector)
    {
        var url = page.Url;
        var count = await page.Locator(selector).CountAsync();
        for (var i = 0; i < count; i++)
        {
            var link = page.Locator(selector).Nth(i);
            if (!await link.IsVisibleAsync()) continue;
            var href = await link.GetAttributeAsync("href");
            if (href is not null && (href.StartsWith("http", StringComparison.Ordinal) || href.StartsWith('/'))) continue; // ordinary navigation
            await link.ClickAsync();
            await AssertCleanAsync(page, url);
            if (page.Url != url) { await page.GotoAsync(url); }
        }
    }

    private async Task<string> TokenAsync(string person)
    {
        var (exit, stdout, stderr) = await server.RunAsync("token", "create", "--data", server.DataDir, "--person", person);
        Assert.True(exit == 0, stdout + stderr);
        return stdout.Trim();
    }

    private async Task SayAsync(string person, string room, string text)
    {
        var (exit, stdout, stderr) = await server.RunAsync("say", "--data", server.DataDir, "--as", person, "--room", room, text);
        Assert.True(exit == 0, $"`{text}` exited {exit}: {stdout}{stderr}");
    }

    private static Task<JsonElement> PostAsync(HttpClient http, string token, string room, object body) =>
        SendAsync(http, token, HttpMethod.Post, $"/api/rooms/{room}/messages", body);

    private static async Task<JsonElement> SendAsync(HttpClient http, string token, HttpMethod method, string path, object? body)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) request.Content = JsonContent.Create(body);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path} answered {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private async Task<string> JobIdAsync(HttpClient http, string token, JsonElement reply)
    {
        var text = string.Join(" ", reply.GetProperty("replies").EnumerateArray().Select(r => r.GetProperty("text").GetString()));
        var m = Regex.Match(text, @"\b(j\d+)\b");
        if (m.Success) return m.Groups[1].Value;
        var jobs = await SendAsync(http, token, HttpMethod.Get, "/api/jobs", null);
        return jobs.EnumerateArray().First(j => j.GetProperty("title").GetString()!.Contains("diag hostile", StringComparison.Ordinal)).GetProperty("id").GetString()!;
    }

    /// <summary>Commits the runbook, a hostile app description and a table of hostile rows, and waits until `diag` lists the runbook.</summary>
    private async Task PushAsync(Dictionary<string, string> files, string database)
    {
        await Programs.RunAsync("sqlite3", null, database, "CREATE TABLE hostile (text TEXT); " +
            string.Concat(Payloads.Select(p => $"INSERT INTO hostile VALUES ('{p.Replace("'", "''", StringComparison.Ordinal)}');")));
        var clone = Path.Combine(Path.GetTempPath(), "capstan-web-config-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await Programs.RunAsync("git", null, "clone", "--quiet", Path.Combine(server.DataDir, "config.git"), clone);
            foreach (var (path, content) in files)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(clone, path))!);
                await File.WriteAllTextAsync(Path.Combine(clone, path), content);
            }
            var app = Path.Combine(clone, "apps", "demo.yaml");
            var yaml = await File.ReadAllTextAsync(app);
            yaml = Regex.Replace(yaml, "^description: .*$", "description: '" + ("demo " + ImgTag).Replace("'", "''", StringComparison.Ordinal) + "'", RegexOptions.Multiline);
            await File.WriteAllTextAsync(app, yaml);
            await Programs.RunAsync("git", clone, "add", "-A");
            await Programs.RunAsync("git", clone, "-c", "user.name=Carol Viewer", "-c", "user.email=carol@example.com", "commit", "--quiet", "-m", "hostile " + ImgTag);
            await Programs.RunAsync("git", clone, "push", "--quiet", "origin", "HEAD:main");
        }
        finally
        {
            try { Directory.Delete(clone, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var (_, stdout, _) = await server.SayAsync("alice", "diag");
            if (stdout.Contains("prints hostile text", StringComparison.Ordinal)) return;
            Assert.True(DateTime.UtcNow < deadline, "the server never picked up the pushed runbook: " + stdout);
            await Task.Delay(200);
        }
    }
}
