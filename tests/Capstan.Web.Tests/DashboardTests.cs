using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Capstan.Web.Tests;

/// <summary>The apps × environments dashboard follows a deploy live, and shows history and the pending diff.</summary>
[Collection(BrowserCollection.Name)]
public sealed class DashboardTests(Chromium chromium, CapstanServer server, ITestOutputHelper output) : IClassFixture<CapstanServer>
{
    [Fact]
    public async Task A_deploy_from_the_terminal_shows_up_on_the_dashboard_without_reloading()
    {
        var page = await chromium.NewPageAsync();
        try
        {
            var link = await server.SignInLinkAsync("carol");
            await page.GotoAsync(link + "&next=/dashboard");
            var staging = page.GetByTestId("cell-demo-staging");
            await Expect(staging.GetByTestId("health")).ToHaveTextAsync("Healthy", new() { Timeout = 60_000 });
            await Expect(staging).ToContainTextAsync("1.0.0");
            await Expect(page.GetByTestId("cell-demo-prod").GetByTestId("health")).ToHaveTextAsync("Missing");
            await page.EvaluateAsync("() => { window.loadedOnce = true; }");

            var (exit, stdout, stderr) = await server.RunAsync("say", "--data", server.DataDir, "--as", "bob", "deploy demo 1.1.0 to staging");
            Assert.True(exit == 0, $"deploy exited {exit}: {stdout}{stderr}");
            Assert.Contains("demo 1.1.0 is live and healthy in staging", stdout);

            await Expect(staging.Locator(".versions")).ToHaveTextAsync("1.1.0", new() { Timeout = 30_000 });
            await Expect(staging.GetByTestId("sync")).ToHaveTextAsync("Synced");
            await Expect(staging).ToContainTextAsync("1.1.0 by Bob Builder");
            Assert.True(await page.EvaluateAsync<bool>("() => window.loadedOnce === true"));

            await staging.ClickAsync();
            await Expect(page.GetByTestId("history")).ToContainTextAsync("Bob Builder");
            await Expect(page.GetByTestId("diff")).ToContainTextAsync("version 1.1.0 (unchanged)");

            Directory.CreateDirectory(Chromium.OutputFolder);
            var shot = Path.Combine(Chromium.OutputFolder, "dashboard.png");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = true });
            output.WriteLine($"dashboard screenshot: {shot}");
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
