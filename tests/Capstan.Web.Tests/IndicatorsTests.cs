using System.Text.Json;
using Capstan.Core.Git;
using Capstan.Core.Ledger;
using Capstan.Core.Storage;
using Capstan.Indicators.Tests;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Capstan.Web.Tests;

/// <summary>The same DORA figures of a known history in chat (capstan say), the API and the indicators page.</summary>
[Collection(BrowserCollection.Name)]
public sealed class IndicatorsTests(Chromium chromium, CapstanServer server, ITestOutputHelper output) : IClassFixture<CapstanServer>
{
    private const string Since = "2026-10-31T12:00:00Z", Until = "2026-11-30T12:00:00Z";

    /// <summary>Writes the known history into the running server's ledger and points repos.api at its source repo (a git push to the config repo).</summary>
    private async Task<SourceRepo> PrepareAsync()
    {
        var repo = await KnownHistory.RepoAsync();
        var db = new SqliteDatabase(Path.Combine(server.DataDir, "capstan.db"));
        await using (var store = new SqliteLedgerStore(db))
            await store.AppendAsync(KnownHistory.Entries().Append((KnownHistory.At("2026-11-25 10:00"), "delivery.healthy", new { app = "web", environment = "staging", version = "2.0.0", commit = "w1", reason = "change" })).Select(e => new UnsealedEntry(e.At, e.Kind, "capstan", "ops", null, JsonSerializer.Serialize(e.Data, Ledger.Json))).ToList(), CancellationToken.None);
        var clone = Path.Combine(Path.GetTempPath(), "capstan-config-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await Git(Path.GetTempPath(), "clone", "--quiet", Path.Combine(server.DataDir, "config.git"), clone);
            var yaml = Path.Combine(clone, "capstan.yaml");
            await File.AppendAllTextAsync(yaml, $"\nrepos:\n  api: {{ url: \"{repo.Path}\" }}\n");
            await Git(clone, "-c", "user.name=Alice Admin", "-c", "user.email=alice@example.com", "commit", "--quiet", "-am", "api's source repo for lead times");
            await Git(clone, "push", "--quiet", "origin", "HEAD");
        }
        finally
        {
            try { Directory.Delete(clone, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        return repo;
    }

    private static async Task Git(string dir, params string[] args)
    {
        var r = await GitCli.RunAsync(dir, args, CancellationToken.None);
        Assert.True(r.Ok, $"git {string.Join(' ', args)}: {r.Error}");
    }

    [Fact]
    public async Task Chat_api_and_page_show_the_same_figures_and_the_page_filters_by_app_and_period()
    {
        using var repo = await PrepareAsync();
        var page = await chromium.NewPageAsync();
        try
        {
            await page.GotoAsync(await server.SignInLinkAsync("carol") + "&next=/indicators");
            var query = $"app=api&env=prod&since={Uri.EscapeDataString(Since)}&until={Uri.EscapeDataString(Until)}";

            // API: poll until the pushed repos: is in force (lead time comes from the source repo).
            JsonElement figures = default;
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                var response = await page.Context.APIRequest.GetAsync($"{server.Url}/api/indicators/dora?{query}");
                Assert.True(response.Ok, $"GET /api/indicators/dora answered {response.Status}: {await response.TextAsync()}");
                figures = (await response.JsonAsync())!.Value.GetProperty("figures");
                if (figures[1].GetProperty("value").ValueKind == JsonValueKind.Number || DateTime.UtcNow > deadline) break;
                await Task.Delay(100);
            }
            string Text(int i) => figures[i].GetProperty("text").GetString()!;
            Assert.Equal(KnownHistory.Frequency, Text(0));
            Assert.Equal(KnownHistory.LeadTime, Text(1));
            Assert.Equal(24.0, figures[1].GetProperty("value").GetDouble());
            Assert.Equal(KnownHistory.FailRate, Text(2));
            Assert.Equal(0.5, figures[2].GetProperty("value").GetDouble());
            Assert.Equal("High", figures[0].GetProperty("tier").GetProperty("name").GetString());
            Assert.Equal(2024, figures[0].GetProperty("tier").GetProperty("year").GetInt32());
            Assert.Equal(KnownHistory.Recovery, Text(3));
            Assert.Equal(KnownHistory.Rework, Text(4));

            // Chat, through the real executable.
            var (exit, stdout, stderr) = await server.RunAsync("say", "--data", server.DataDir, "--as", "carol", $"metrics dora api in prod since {Since} until {Until} chart");
            Assert.True(exit == 0, $"say exited {exit}: {stdout}{stderr}");
            foreach (var expected in new[] { KnownHistory.Frequency, KnownHistory.LeadTime, KnownHistory.FailRate, KnownHistory.Recovery, KnownHistory.Rework, KnownHistory.LeadSample })
                Assert.Contains(expected, stdout);
            Assert.Contains("Deployment frequency by week — api in prod: /api/indicators/dora/chart/deploymentFrequency.png?app=api&env=prod&since=2026-10-31T12%3A00%3A00Z", stdout);

            // The page.
            await page.GotoAsync($"{server.Url}/indicators?{query}");
            await Expect(page.GetByTestId("figure-deploymentFrequency").GetByTestId("value")).ToHaveTextAsync(KnownHistory.Frequency);
            await Expect(page.GetByTestId("figure-leadTime").GetByTestId("value")).ToHaveTextAsync(KnownHistory.LeadTime);
            await Expect(page.GetByTestId("figure-leadTime").GetByTestId("sample")).ToHaveTextAsync(KnownHistory.LeadSample);
            await Expect(page.GetByTestId("figure-changeFailRate").GetByTestId("value")).ToHaveTextAsync(KnownHistory.FailRate);
            await Expect(page.GetByTestId("figure-changeFailRate").GetByTestId("tier")).ToHaveTextAsync("Low (nearest typical value 40%)");
            await Expect(page.GetByTestId("figure-recoveryTime").GetByTestId("value")).ToHaveTextAsync(KnownHistory.Recovery);
            await Expect(page.GetByTestId("figure-reworkRate").GetByTestId("value")).ToHaveTextAsync(KnownHistory.Rework);
            await Expect(page.GetByTestId("deploys").Locator("tbody tr")).ToHaveCountAsync(8);
            var chart = page.GetByTestId("chart-deploymentFrequency");
            await Expect(chart).ToBeVisibleAsync();
            await page.WaitForFunctionAsync("() => [...document.querySelectorAll('#charts img')].every(i => i.complete && i.naturalWidth === 800)");
            Assert.Equal(5, await page.Locator("#charts img").CountAsync());
            var shot = Path.Combine(Chromium.OutputFolder, "indicators.png");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = true });
            output.WriteLine($"indicators screenshot: {shot}");

            // Interactive filters: a later start date, then an app without prod deploys.
            await page.GetByTestId("filter-since").FillAsync("2026-11-20");
            await page.GetByTestId("filter-since").DispatchEventAsync("change");
            await Expect(page.GetByTestId("figure-deploymentFrequency").GetByTestId("value")).ToHaveTextAsync("6 deploys in 10 days (4.2 per week)");
            Assert.Contains("since=2026-11-20", page.Url);
            await page.GetByTestId("filter-app").SelectOptionAsync("web");
            await Expect(page.GetByTestId("sentence")).ToHaveTextAsync("No deploys of web in prod since 2026-11-20 until 2026-11-30.");
            await Expect(page.GetByTestId("figures")).ToBeHiddenAsync();
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
