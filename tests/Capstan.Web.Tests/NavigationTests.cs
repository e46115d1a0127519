using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Capstan.Web.Tests;

/// <summary>
/// The navigation bar is made of the pages the modules contribute: every page shows the same links in the same order,
/// marks its own, and runs its own script (served from its module's embedded files under the Content-Security-Policy).
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class NavigationTests(Chromium chromium, CapstanServer server) : IClassFixture<CapstanServer>
{
    private static readonly string[] Links = ["Chat", "Dashboard", "Incidents", "Jobs", "Ledger", "Indicators", "Adapters"];

    [Fact]
    public async Task Every_page_shows_every_modules_link_in_order_marks_its_own_and_runs_its_script()
    {
        var page = await chromium.NewPageAsync();
        var refused = new List<string>();
        page.Console += (_, m) => { if (m.Text.Contains("Content Security Policy", StringComparison.Ordinal)) refused.Add(m.Text); };
        try
        {
            await page.GotoAsync(await server.SignInLinkAsync("alice"));
            foreach (var (path, title) in new[] { ("/", "Chat"), ("/dashboard", "Dashboard"), ("/incidents", "Incidents"), ("/jobs", "Jobs"), ("/ledger", "Ledger"), ("/indicators", "Indicators"), ("/adapters", "Adapters") })
            {
                await page.GotoAsync(server.Url + path);
                await Expect(page.Locator("header.top nav a")).ToHaveTextAsync(Links);
                await Expect(page.Locator("header.top nav a.active")).ToHaveTextAsync(title);
                // The name is filled in by app.js, which only the page's own script imports.
                await Expect(page.GetByTestId("me")).ToContainTextAsync("(alice)");
            }
            Assert.Empty(refused);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
