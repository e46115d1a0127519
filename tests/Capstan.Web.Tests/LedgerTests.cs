using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Capstan.Web.Tests;

/// <summary>The ledger page: everything said and done, searchable by person, room, kind, time and text.</summary>
[Collection(BrowserCollection.Name)]
public sealed class LedgerTests(Chromium chromium, CapstanServer server, ITestOutputHelper output) : IClassFixture<CapstanServer>, IAsyncLifetime
{
    private IPage? _page;
    private IPage? _bobPage;

    [Fact]
    public async Task The_ledger_can_be_searched_by_person_room_kind_time_and_text()
    {
        _page = await chromium.NewPageAsync();
        var alice = new ChatPage(_page);
        await alice.SignInAsync(await server.SignInLinkAsync("alice"), "alice");
        await alice.SendAsync("alice checks the canary dashboards");
        await alice.SendAsync("whoami");
        _bobPage = await chromium.NewPageAsync();
        var bob = new ChatPage(_bobPage);
        await bob.SignInAsync(await server.SignInLinkAsync("bob"), "bob");
        await bob.SendAsync("bob rotates the staging keys");
        var (exit, stdout, stderr) = await server.SayAsync("bob", "whoami");
        Assert.True(exit == 0, $"capstan say exited {exit}: {stdout}{stderr}");
        await Expect(alice.Message("whoami", "bob")).ToBeVisibleAsync();
        await Expect(alice.Message("bob rotates the staging keys")).ToBeVisibleAsync();

        await _page.GetByRole(AriaRole.Link, new() { Name = "Ledger", Exact = true }).ClickAsync();
        await Expect(_page.Locator("h1")).ToHaveTextAsync("Ledger");
        var entries = _page.GetByTestId("entry");
        await Expect(entries.Filter(new() { HasText = "alice checks the canary dashboards" })).ToHaveCountAsync(1);
        await Expect(entries.Filter(new() { HasText = "bob rotates the staging keys" })).ToHaveCountAsync(1);
        var shot = Path.Combine(Chromium.OutputFolder, "ledger.png");
        await _page.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = true });
        output.WriteLine($"ledger page screenshot: {shot}");

        // Person: only bob's entries.
        await SearchAsync(person: "bob");
        await Expect(entries.Filter(new() { HasText = "bob rotates the staging keys" })).ToHaveCountAsync(1);
        await Expect(entries.Filter(new() { HasNot = Cell(3, "bob") })).ToHaveCountAsync(0);
        await Expect(entries.Filter(new() { HasText = "alice checks the canary dashboards" })).ToHaveCountAsync(0);

        // Kind: the policy decisions, for both people's whoami.
        await SearchAsync(kind: "policy.decision");
        await Expect(entries.Filter(new() { HasNot = Cell(5, "policy.decision") })).ToHaveCountAsync(0);
        await Expect(entries.Filter(new() { Has = Cell(3, "alice") }).Filter(new() { HasText = "whoami: allowed" })).ToHaveCountAsync(1);
        await Expect(entries.Filter(new() { Has = Cell(3, "bob") }).Filter(new() { HasText = "whoami: allowed" })).ToHaveCountAsync(1);

        // Text: what was said, wherever it is in an entry.
        await SearchAsync(q: "canary");
        await Expect(entries.Filter(new() { HasText = "alice checks the canary dashboards" })).ToHaveCountAsync(1);
        await Expect(entries.Filter(new() { HasText = "bob rotates the staging keys" })).ToHaveCountAsync(0);
        await Expect(entries.Filter(new() { HasNotText = "canary" })).ToHaveCountAsync(0);

        // Room: only what happened in #ops (sign-ins and tokens belong to no room).
        await SearchAsync(room: "ops");
        await Expect(entries.Filter(new() { HasText = "bob rotates the staging keys" })).ToHaveCountAsync(1);
        await Expect(entries.Filter(new() { HasNot = Cell(4, "#ops") })).ToHaveCountAsync(0);

        // Time: everything so far happened before tomorrow (by the server's test clock, in the browser's zone), and nothing since.
        var tomorrow = Capstan.Testing.TestClock.Now.ToLocalTime().AddDays(1).ToString("yyyy-MM-dd'T'HH:mm", System.Globalization.CultureInfo.InvariantCulture);
        await SearchAsync(person: "bob", until: tomorrow);
        await Expect(entries.Filter(new() { HasNot = Cell(3, "bob") })).ToHaveCountAsync(0);
        await Expect(entries.Filter(new() { HasText = "bob rotates the staging keys" })).ToHaveCountAsync(1);
        await SearchAsync(since: tomorrow);
        await Expect(entries).ToHaveCountAsync(0);
        await Expect(_page.Locator("#status")).ToHaveTextAsync("Nothing matches.");

        // A search that matches nothing says so.
        await SearchAsync(q: "no-such-words-anywhere");
        await Expect(entries).ToHaveCountAsync(0);
        await Expect(_page.Locator("#status")).ToHaveTextAsync("Nothing matches.");
    }

    /// <summary>Fills the filter form (empty fields clear a filter) and presses Search.</summary>
    private async Task SearchAsync(string person = "", string room = "", string kind = "", string q = "", string since = "", string until = "")
    {
        var filters = _page!.Locator("#filters");
        await filters.GetByLabel("Person").FillAsync(person);
        await filters.GetByLabel("Room").FillAsync(room);
        await filters.GetByLabel("Kind").FillAsync(kind);
        await filters.GetByLabel("Since").FillAsync(since);
        await filters.GetByLabel("Until").FillAsync(until);
        await filters.GetByLabel("Text").FillAsync(q);
        await filters.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
    }

    /// <summary>A row's Nth cell (1-based) whose text is exactly this.</summary>
    private ILocator Cell(int column, string text) =>
        _page!.Locator($"td:nth-child({column})", new() { HasTextRegex = new Regex("^" + Regex.Escape(text) + "$") });

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var p in new[] { _page, _bobPage }) if (p is not null) await p.Context.CloseAsync();
    }
}
