using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Capstan.Web.Tests;

/// <summary>Signing in with one-time links, and what a visitor who is not signed in sees.</summary>
[Collection(BrowserCollection.Name)]
public sealed class SignInTests(Chromium chromium, CapstanServer server) : IClassFixture<CapstanServer>, IAsyncLifetime
{
    private readonly List<IPage> _pages = [];

    [Fact]
    public async Task The_printed_link_signs_alice_in_and_cannot_be_used_a_second_time()
    {
        var alice = new ChatPage(await NewPageAsync());
        await alice.SignInAsync(server.PrintedSignInLink, "alice");
        await Expect(alice.Me).ToHaveTextAsync("Alice Admin (alice)");
        await Expect(alice.Rooms.GetByRole(AriaRole.Link, new() { Name = "#ops", Exact = true })).ToBeVisibleAsync();
        await Expect(alice.Page.Locator("#room-name")).ToHaveTextAsync("#ops");

        var someoneElse = await NewPageAsync();
        var response = await someoneElse.GotoAsync(server.PrintedSignInLink);
        Assert.Equal(401, response!.Status);
        await Expect(someoneElse.Locator("h1")).ToHaveTextAsync("Sign-in link not accepted");
        await Expect(someoneElse.Locator("main")).ToContainTextAsync("This sign-in link was already used at");
        await Expect(someoneElse.Locator("main")).ToContainTextAsync("each link works once. Ask for a new one.");
        await Expect(someoneElse.Locator("main")).ToContainTextAsync("capstan signin-link --person YOU");

        // The refused browser did not get a session: the chat asks it to sign in.
        await someoneElse.GotoAsync(server.Url);
        await Expect(someoneElse.GetByTestId("signed-out")).ToBeVisibleAsync();
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/ledger")]
    public async Task A_visitor_who_is_not_signed_in_is_told_how_to_sign_in(string path)
    {
        var page = await NewPageAsync();
        await page.GotoAsync(server.Url + path);
        var notice = page.GetByTestId("signed-out");
        await Expect(notice).ToBeVisibleAsync();
        await Expect(notice.Locator("h1")).ToHaveTextAsync("Sign in to Capstan");
        await Expect(notice).ToContainTextAsync("capstan signin-link --person YOU");
        await Expect(page.GetByTestId("me")).ToHaveCountAsync(0);
    }

    private async Task<IPage> NewPageAsync()
    {
        var page = await chromium.NewPageAsync();
        _pages.Add(page);
        return page;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var p in _pages) await p.Context.CloseAsync();
    }
}
