using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Capstan.Web.Tests;

/// <summary>A job's output, too long for chat, is on its own page, linked from chat, and the page follows the job live.</summary>
[Collection(BrowserCollection.Name)]
public sealed class JobPageTests(Chromium chromium, CapstanServer server, ITestOutputHelper output) : IClassFixture<CapstanServer>
{
    /// <summary>
    /// A runbook that prints 300 lines, reads 30 rows from a real SQLite file (more than chat shows), then waits until
    /// a gate file exists, so the test decides when it ends.
    /// </summary>
    private Dictionary<string, string> Runbook() => new()
    {
        ["scripts/many-lines.sh"] = "#!/bin/sh\ni=1\nwhile [ $i -le 300 ]; do echo \"line $i\"; i=$((i+1)); done\n",
        ["scripts/wait-gate.sh"] = "#!/bin/sh\necho \"waiting for the gate\"\nwhile [ ! -e \"$1\" ]; do sleep 0.1; done\necho \"after the gate\"\n",
        ["runbooks/long.yaml"] = $$$"""
            description: prints a lot, then waits for a gate file
            parameters:
              gate: { type: text, required: true }
            steps:
              - name: print
                script: scripts/many-lines.sh
              - name: orders
                sql: { driver: sqlite, connection: "Data Source={{{Orders}}}", query: "SELECT id, state FROM orders ORDER BY id" }
              - name: wait
                script: { path: scripts/wait-gate.sh, args: ["{{ gate }}"] }
                timeout: 5m
            """,
    };

    private string Orders => Path.Combine(server.DataDir, "orders.db");

    [Fact]
    public async Task A_long_job_links_its_page_from_chat_and_the_page_shows_all_output_and_follows_the_job_live()
    {
        await PushAsync(Runbook());
        var gate = Path.Combine(server.DataDir, "gate-" + Guid.NewGuid().ToString("N")[..6]);
        var page = await chromium.NewPageAsync();
        try
        {
            var chat = new ChatPage(page);
            await chat.SignInAsync(await server.SignInLinkAsync("alice"), "alice");
            await chat.SendAsync($"diag long gate={gate}");

            // The progress message in the thread links the job's page while it runs.
            var progress = page.Locator(".msg.capstan", new() { HasTextString = $"· diag long gate={gate} — running" });
            var live = progress.Locator("a[href*='/jobs/j']");
            await Expect(live).ToBeVisibleAsync(new() { Timeout = 30_000 });
            var href = (await live.GetAttributeAsync("href"))!;
            var id = Regex.Match(href, @"/jobs/(j\d+)$").Groups[1].Value;
            Assert.Equal($"{server.Url}/jobs/{id}", href);
            await Expect(progress).Not.ToContainTextAsync("line 100\n");

            await live.ClickAsync();
            await Expect(page).ToHaveURLAsync(href);
            await page.EvaluateAsync("() => { window.loadedOnce = true; }");
            var outputBox = page.GetByTestId("output");
            await Expect(page.GetByTestId("state")).ToHaveTextAsync("running");
            await Expect(outputBox).ToContainTextAsync("waiting for the gate", new() { Timeout = 30_000 });
            await Expect(page.GetByTestId("progress")).ToContainTextAsync("67%");
            await Expect(page.GetByTestId("status")).ToContainTextAsync("step 3 of 3: wait (script)");
            var lines = (await outputBox.TextContentAsync())!.Split('\n');
            Assert.Equal("line 1", lines[0]);
            Assert.Contains("line 300", lines);

            // The job ends: the page follows without reloading.
            await File.WriteAllTextAsync(gate, "go");
            await Expect(page.GetByTestId("state")).ToHaveTextAsync("succeeded", new() { Timeout = 30_000 });
            await Expect(outputBox).ToContainTextAsync("after the gate");
            await Expect(page.GetByTestId("summary")).ToHaveTextAsync("runbook long: all 3 step(s) passed");
            await Expect(page.GetByTestId("result")).ToContainTextAsync("wait");
            // The sql step's rows in full as a table (chat shows the first 20).
            var orders = page.GetByTestId("table");
            await Expect(orders.Locator("h2")).ToHaveTextAsync("orders · 30 row(s)");
            await Expect(orders.Locator("tbody tr")).ToHaveCountAsync(30);
            await Expect(orders.Locator("tbody tr").Last).ToContainTextAsync("order-30");
            await Expect(page.GetByTestId("cancel")).ToBeHiddenAsync();
            Assert.True(await page.EvaluateAsync<bool>("() => window.loadedOnce === true"), "the job page reloaded");
            lines = (await outputBox.TextContentAsync())!.Split('\n');
            Assert.Equal(lines.Distinct().Count(), lines.Length); // live appends never repeat a line
            Assert.Equal("line 1", lines[0]);

            var shot = Path.Combine(Chromium.OutputFolder, "job.png");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = false });
            output.WriteLine($"job page screenshot: {shot}");

            // Back in chat, the final message says the output is kept in full and links it.
            await page.GotoAsync(server.Url + "/#ops");
            var final = page.Locator(".msg.capstan", new() { HasTextString = $"Job {id} · diag long" });
            await Expect(final).ToContainTextAsync("succeeded");
            await Expect(final).ToContainTextAsync("line(s) of output, 1 result table(s)");
            var rows = page.Locator(".msg.capstan", new() { HasTextString = $"orders: 30 row(s), first 20 shown (all of them: {href})" });
            await Expect(rows.Locator("tbody tr")).ToHaveCountAsync(20);
            await Expect(rows.Locator($"a[href='{href}']")).ToBeVisibleAsync();
            await final.Locator($"a[href='{href}']").ClickAsync();
            await Expect(page.GetByTestId("output")).ToContainTextAsync("line 150");

            // The API behind the page.
            var api = page.Context.APIRequest;
            using var detail = JsonDocument.Parse(await (await api.GetAsync($"{server.Url}/api/jobs/{id}")).TextAsync());
            Assert.Equal("succeeded", detail.RootElement.GetProperty("job").GetProperty("state").GetString());
            Assert.Equal("line 1", detail.RootElement.GetProperty("output")[0].GetString());
            Assert.True(detail.RootElement.GetProperty("outputCount").GetInt64() > 300);
            using var newer = JsonDocument.Parse(await (await api.GetAsync($"{server.Url}/api/jobs/{id}?from=299")).TextAsync());
            Assert.Equal("line 300", newer.RootElement.GetProperty("output")[0].GetString());
            var missing = await api.GetAsync($"{server.Url}/api/jobs/j999");
            Assert.Equal(404, missing.Status);
            Assert.Contains("There is no job j999", await missing.TextAsync());
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task The_jobs_page_lists_running_and_recent_jobs_and_updates_live()
    {
        await PushAsync(Runbook());
        var gate = Path.Combine(server.DataDir, "gate-" + Guid.NewGuid().ToString("N")[..6]);
        var page = await chromium.NewPageAsync();
        try
        {
            await page.GotoAsync(await server.SignInLinkAsync("carol") + "&next=/jobs");
            await Expect(page.GetByTestId("live")).ToHaveTextAsync("live");
            await Expect(page.Locator("header.top nav a[href='/jobs']")).ToHaveClassAsync(new Regex("active"));
            await page.EvaluateAsync("() => { window.loadedOnce = true; }");
            var before = await page.GetByTestId("job-row").CountAsync();

            // bob starts a job from another client; carol's list shows it running, then finished.
            var started = await page.Context.APIRequest.PostAsync($"{server.Url}/api/rooms/ops/messages", new()
            {
                Headers = new Dictionary<string, string> { ["Authorization"] = "Bearer " + await TokenAsync("bob") },
                DataObject = new { text = $"diag long gate={gate}" },
            });
            var reply = await started.TextAsync();
            Assert.True(started.Ok, reply);
            var id = Regex.Match(reply, @"as job (j\d+)").Groups[1].Value;
            var row = page.Locator($"tr[data-job='{id}']");
            await Expect(row.GetByTestId("state")).ToHaveTextAsync("running", new() { Timeout = 30_000 });
            await Expect(row).ToContainTextAsync("bob");
            await Expect(page.GetByTestId("counts")).ToContainTextAsync("1 running");
            await File.WriteAllTextAsync(gate, "go");
            await Expect(row.GetByTestId("state")).ToHaveTextAsync("succeeded", new() { Timeout = 30_000 });
            await Expect(row).ToContainTextAsync("all 3 step(s) passed");
            Assert.Equal(before + 1, await page.GetByTestId("job-row").CountAsync());
            Assert.True(await page.EvaluateAsync<bool>("() => window.loadedOnce === true"), "the jobs page reloaded");

            await row.Locator($"a[href='/jobs/{id}']").ClickAsync();
            await Expect(page.GetByTestId("title")).ToContainTextAsync($"{id} · diag long");

            // From a terminal, `capstan say` follows the job to its end and prints how it ended.
            var (exit, stdout, stderr) = await server.SayAsync("bob", $"diag long gate={gate}");
            Assert.True(exit == 0, stdout + stderr);
            Assert.Matches(@"j\d+ succeeded: runbook long: all 3 step\(s\) passed — http://127\.0\.0\.1:\d+/jobs/j\d+", stdout);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task The_cancel_button_on_a_job_page_stops_the_job_and_the_page_shows_it()
    {
        await PushAsync(Runbook());
        var never = Path.Combine(server.DataDir, "never-" + Guid.NewGuid().ToString("N")[..6]);
        var page = await chromium.NewPageAsync();
        try
        {
            var chat = new ChatPage(page);
            await chat.SignInAsync(await server.SignInLinkAsync("bob"), "bob");
            await chat.SendAsync($"diag long gate={never}");
            var live = page.Locator(".msg.capstan", new() { HasTextString = $"· diag long gate={never} — running" }).Locator("a[href*='/jobs/j']");
            await Expect(live).ToBeVisibleAsync(new() { Timeout = 30_000 });
            await live.ClickAsync();
            await Expect(page.GetByTestId("output")).ToContainTextAsync("waiting for the gate", new() { Timeout = 30_000 });

            await page.GetByTestId("cancel").ClickAsync();
            await Expect(page.GetByTestId("cancel-reply")).ToContainTextAsync("Cancelled job");
            await Expect(page.GetByTestId("state")).ToHaveTextAsync("cancelled");
            await Expect(page.GetByTestId("summary")).ToHaveTextAsync("cancelled by bob");
            await Expect(page.GetByTestId("cancel")).ToBeHiddenAsync();
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    private async Task<string> TokenAsync(string person)
    {
        var (exit, stdout, stderr) = await server.RunAsync("token", "create", "--data", server.DataDir, "--person", person);
        Assert.True(exit == 0, stdout + stderr);
        return stdout.Trim();
    }

    /// <summary>Commits files to the config repo with plain git, as a person would, and waits until `diag` lists the runbook.</summary>
    private async Task PushAsync(Dictionary<string, string> files)
    {
        if (!File.Exists(Orders))
            await Programs.RunAsync("sqlite3", null, Orders, "CREATE TABLE orders (id INTEGER PRIMARY KEY, state TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30) INSERT INTO orders SELECT i, 'order-' || i FROM n;");
        var clone = Path.Combine(Path.GetTempPath(), "capstan-web-config-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await Programs.GitAsync(null, "clone", "--quiet", Path.Combine(server.DataDir, "config.git"), clone);
            foreach (var (path, content) in files)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(clone, path))!);
                await File.WriteAllTextAsync(Path.Combine(clone, path), content);
            }
            await Programs.GitAsync(clone, "add", "-A");
            if ((await Programs.GitAsync(clone, "status", "--porcelain")).Length > 0)
            {
                await Programs.GitAsync(clone, "-c", "user.name=Alice Admin", "-c", "user.email=alice@example.com", "commit", "--quiet", "-m", "add the long runbook");
                await Programs.GitAsync(clone, "push", "--quiet", "origin", "HEAD:main");
            }
        }
        finally
        {
            try { Directory.Delete(clone, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var (_, stdout, _) = await server.SayAsync("alice", "diag");
            if (stdout.Contains("prints a lot", StringComparison.Ordinal)) return;
            Assert.True(DateTime.UtcNow < deadline, "the server never picked up the pushed runbook: " + stdout);
            await Task.Delay(200);
        }
    }
}
