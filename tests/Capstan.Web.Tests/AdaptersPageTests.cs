using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Capstan.Web.Tests;

/// <summary>The chat adapters as a new user meets them: `capstan adapters`, GET /api/adapters, the adapters page and the link page.</summary>
[Collection(BrowserCollection.Name)]
public sealed class AdaptersPageTests(Chromium chromium, CapstanServer server) : IClassFixture<CapstanServer>
{
    [Fact]
    public async Task A_fresh_server_says_no_platform_is_configured_on_the_command_line_the_api_and_the_page()
    {
        var (exit, stdout, stderr) = await server.RunAsync("adapters", "--data", server.DataDir, "--as", "alice");
        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains("No chat platforms are configured", stdout, StringComparison.Ordinal);

        var page = await chromium.NewPageAsync();
        try
        {
            var anonymous = await page.Context.APIRequest.GetAsync(server.Url + "/api/adapters");
            Assert.Equal(401, anonymous.Status);

            await page.GotoAsync(await server.SignInLinkAsync("alice"));
            var api = await page.Context.APIRequest.GetAsync(server.Url + "/api/adapters");
            Assert.Equal(200, api.Status);
            using var body = JsonDocument.Parse(await api.TextAsync());
            Assert.True(body.RootElement.GetProperty("running").GetBoolean());
            Assert.Equal(0, body.RootElement.GetProperty("adapters").GetArrayLength());

            await page.GotoAsync(server.Url + "/adapters");
            await Expect(page.GetByTestId("message")).ToContainTextAsync("No chat platforms are configured");
            await Expect(page.Locator("header.top nav a.active")).ToHaveTextAsync("Adapters");
            await Expect(page.GetByTestId("adapters")).ToBeHiddenAsync();
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task Without_a_running_server_capstan_adapters_says_so()
    {
        var empty = Path.Combine(Path.GetTempPath(), "capstan-none-" + Guid.NewGuid().ToString("N")[..8]);
        var (exit, stdout, _) = await server.RunAsync("adapters", "--data", empty, "--as", "alice");
        Assert.Equal(1, exit);
        Assert.Contains("No Capstan server is running here", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_link_page_checks_a_code_and_says_why_a_wrong_one_is_refused()
    {
        var page = await chromium.NewPageAsync();
        try
        {
            await page.GotoAsync(await server.SignInLinkAsync("bob"));
            await page.GotoAsync(server.Url + "/link");
            await page.GetByTestId("link-code").FillAsync("<b>ABCDE-FGHJK</b>");
            await page.GetByTestId("link-check").ClickAsync();
            await Expect(page.GetByTestId("error")).ToContainTextAsync("not one Capstan gave out");
            await Expect(page.GetByTestId("confirm-box")).ToBeHiddenAsync();
            await Expect(page.Locator("main b")).ToHaveCountAsync(0);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
