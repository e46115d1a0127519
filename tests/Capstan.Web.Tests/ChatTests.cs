using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Capstan.Web.Tests;

/// <summary>Real-time chat between people's browsers, the terminal and Capstan, with threads.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ChatTests(Chromium chromium, CapstanServer server, ITestOutputHelper output) : IClassFixture<CapstanServer>, IAsyncLifetime
{
    private readonly List<IPage> _pages = [];

    [Fact]
    public async Task Two_people_see_each_others_messages_and_Capstans_replies_live()
    {
        var alice = await SignInAsync("alice");
        var bob = await SignInAsync("bob");
        await bob.Page.EvaluateAsync("() => { window.loadedOnce = true; }");

        await alice.SendAsync("hello team");
        var hello = bob.Message("hello team");
        await Expect(hello).ToBeVisibleAsync();
        await Expect(hello.Locator(".author")).ToHaveTextAsync("alice");

        await bob.SendAsync("whoami");
        var whoamiId = await bob.IdOfAsync("whoami", "bob");
        foreach (var tab in new[] { alice, bob })
        {
            await Expect(tab.Message("whoami", "bob")).ToBeVisibleAsync();
            var reply = tab.ThreadUnder(whoamiId).Locator(".msg.capstan");
            await Expect(reply).ToContainTextAsync("You are bob (Bob Builder)");
            await Expect(reply).ToContainTextAsync("Roles: deployer");
        }

        // Bob saw all of it without reloading the page.
        Assert.True(await bob.Page.EvaluateAsync<bool>("() => window.loadedOnce === true"));
    }

    [Fact]
    public async Task Messages_typed_one_after_another_arrive_in_the_order_they_were_typed()
    {
        var alice = await SignInAsync("alice");
        var bob = await SignInAsync("bob");
        string[] said = ["first: freeze merges", "whoami", "second: tag the release", "help whoami", "third: ship it", "history 3", "fourth: watch the canary", "fifth: done"];
        foreach (var text in said) await alice.SendAsync(text);

        foreach (var tab in new[] { alice, bob })
        {
            var mine = tab.Messages.Filter(new() { Has = tab.Page.Locator(".author", new() { HasTextRegex = new Regex("^alice$") }) })
                .Filter(new() { Has = tab.Page.Locator(".text", new() { HasTextRegex = new Regex("^(first|second|third|fourth|fifth|whoami|help whoami|history 3)") }) });
            await Expect(mine.Locator(".text")).ToHaveTextAsync(said);
        }
    }

    [Fact]
    public async Task A_command_sent_in_a_thread_is_answered_in_that_thread_in_every_tab()
    {
        var alice = await SignInAsync("alice");
        var bob = await SignInAsync("bob");
        await bob.SendAsync("shall we ship the release today?");
        var rootId = await alice.IdOfAsync("shall we ship the release today?");

        await alice.Message("shall we ship the release today?").GetByRole(AriaRole.Button, new() { Name = "Reply in thread" }).ClickAsync();
        await Expect(alice.Page.Locator("#replying")).ToContainTextAsync("shall we ship the release today?");
        await alice.SendAsync("help");

        foreach (var tab in new[] { alice, bob })
        {
            var thread = tab.ThreadUnder(rootId);
            await Expect(thread.Locator(".msg.person")).ToContainTextAsync("help");
            await Expect(thread.Locator(".msg.capstan").First).ToContainTextAsync("whoami");
            // The reply is inside the thread, not among the room's top-level messages.
            // (Other top-level notices, such as the demo app going live, may be there.)
            await Expect(tab.Page.Locator("#messages > .msg.capstan", new() { HasText = "can run here" })).ToHaveCountAsync(0);
        }

        Directory.CreateDirectory(Chromium.OutputFolder);
        var shot = Path.Combine(Chromium.OutputFolder, "chat.png");
        await alice.Page.ScreenshotAsync(new PageScreenshotOptions { Path = shot });
        output.WriteLine($"chat page screenshot: {shot}");
    }

    [Fact]
    public async Task A_message_said_from_the_terminal_appears_live_in_the_browser()
    {
        var alice = await SignInAsync("alice");
        await alice.Page.EvaluateAsync("() => { window.loadedOnce = true; }");

        var (exit, stdout, stderr) = await server.SayAsync("carol", "whoami");
        Assert.True(exit == 0, $"capstan say exited {exit}: {stdout}{stderr}");
        Assert.Contains("You are carol (Carol Viewer)", stdout);

        var whoamiId = await alice.IdOfAsync("whoami", "carol");
        var reply = alice.ThreadUnder(whoamiId).Locator(".msg.capstan");
        await Expect(reply).ToContainTextAsync("You are carol (Carol Viewer)");
        await Expect(reply).ToContainTextAsync("Roles: viewer");
        Assert.True(await alice.Page.EvaluateAsync<bool>("() => window.loadedOnce === true"));
    }

    private async Task<ChatPage> SignInAsync(string person)
    {
        var page = await chromium.NewPageAsync();
        _pages.Add(page);
        var chat = new ChatPage(page);
        await chat.SignInAsync(await server.SignInLinkAsync(person), person);
        return chat;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var p in _pages) await p.Context.CloseAsync();
    }
}
