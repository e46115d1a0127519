using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Capstan.Web.Tests;

/// <summary>The chat page as a person sees it in their own browser.</summary>
public sealed class ChatPage(IPage page)
{
    public IPage Page { get; } = page;

    public ILocator Me => Page.GetByTestId("me");
    public ILocator Rooms => Page.GetByTestId("rooms");
    public ILocator Messages => Page.GetByTestId("message");
    public ILocator Live => Page.GetByTestId("live");

    /// <summary>Opens a one-time sign-in link and waits until the chat shows the person and is receiving live updates.</summary>
    public async Task SignInAsync(string link, string person)
    {
        await Page.GotoAsync(link);
        await Expect(Me).ToContainTextAsync($"({person})");
        await Expect(Live).ToHaveTextAsync("live");
    }

    /// <summary>Messages whose text is exactly this (root messages and thread replies alike), optionally only by one author.</summary>
    public ILocator Message(string text, string? author = null)
    {
        var messages = Messages.Filter(new LocatorFilterOptions { Has = Page.Locator(".text", new PageLocatorOptions { HasTextRegex = Exactly(text) }) });
        return author is null ? messages : messages.Filter(new LocatorFilterOptions { Has = Page.Locator(".author", new PageLocatorOptions { HasTextRegex = Exactly(author) }) });
    }

    private static Regex Exactly(string text) => new("^" + Regex.Escape(text) + "$");

    /// <summary>The thread block shown under a root message.</summary>
    public ILocator ThreadUnder(string rootId) => Page.Locator($".thread[data-root=\"{rootId}\"]");

    /// <summary>Types into the composer and presses Enter, as a person would.</summary>
    public async Task SendAsync(string text)
    {
        var composer = Page.GetByTestId("composer");
        await composer.FillAsync(text);
        await composer.PressAsync("Enter");
        await Expect(composer).ToHaveValueAsync("");
    }

    /// <summary>The id of the one message with this exact text (and author), once it is shown.</summary>
    public async Task<string> IdOfAsync(string text, string? author = null)
    {
        var message = Message(text, author);
        await Expect(message).ToHaveCountAsync(1);
        return (await message.GetAttributeAsync("data-id"))!;
    }
}
