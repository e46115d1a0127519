using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Capstan.Web.Tests;

/// <summary>The incident pages: declare from the UI, the timeline with filters, key marks and notes, and the rendered postmortem.</summary>
[Collection(BrowserCollection.Name)]
public sealed class IncidentPagesTests(Chromium chromium, CapstanServer server, ITestOutputHelper output) : IClassFixture<CapstanServer>
{
    private async Task SayAsync(string person, string room, params string[] text)
    {
        var (exit, stdout, stderr) = await server.RunAsync(["say", "--data", server.DataDir, "--as", person, "--room", room, .. text]);
        Assert.True(exit == 0, $"`{string.Join(' ', text)}` exited {exit}: {stdout}{stderr}");
    }

    [Fact]
    public async Task An_incident_declared_in_the_ui_shows_its_timeline_takes_marks_and_notes_and_renders_its_postmortem()
    {
        var page = await chromium.NewPageAsync();
        try
        {
            await page.GotoAsync(await server.SignInLinkAsync("alice") + "&next=/incidents");
            await Expect(page.GetByTestId("incidents")).ToContainTextAsync("No incidents");
            var form = page.GetByTestId("open-form");
            await form.Locator("input[name=title]").FillAsync("checkout latency");
            await form.Locator("select[name=severity]").SelectOptionAsync("sev2");
            await form.Locator("input[name=apps]").FillAsync("demo");
            await form.Locator("button[type=submit]").ClickAsync();
            await page.WaitForURLAsync("**/incidents/1");
            await Expect(page.GetByTestId("title")).ToHaveTextAsync("INC-1 [sev2] checkout latency");
            await Expect(page.GetByTestId("commander")).ToHaveTextAsync("alice");
            var timeline = page.GetByTestId("timeline");
            await Expect(timeline).ToContainTextAsync("Declared [sev2] checkout latency; commander alice; affects demo in prod");

            await SayAsync("bob", "inc-1", "--chat", "the cache is cold after the restart");
            await SayAsync("bob", "inc-1", "incident ack");
            await page.ReloadAsync();
            await Expect(page.GetByTestId("status")).ToHaveTextAsync("acknowledged");
            var clue = timeline.Locator("tr[data-category=chat]", new() { HasText = "the cache is cold" });
            await Expect(clue).ToBeVisibleAsync();

            await page.Locator("input[data-filter=chat]").UncheckAsync();
            await Expect(clue).ToHaveCountAsync(0);
            await page.Locator("input[data-filter=chat]").CheckAsync();
            await Expect(clue).ToBeVisibleAsync();

            await clue.GetByTestId("mark").ClickAsync();
            await Expect(timeline.Locator("tr.key", new() { HasText = "the cache is cold" })).ToBeVisibleAsync();
            await Expect(timeline.Locator("tr.key", new() { HasText = "the cache is cold" }).GetByTestId("mark")).ToHaveTextAsync("★");
            await page.Locator("input[data-filter=key-only]").CheckAsync();
            await Expect(timeline.Locator("tbody tr")).ToHaveCountAsync(1);
            await page.Locator("input[data-filter=key-only]").UncheckAsync();

            var note = page.GetByTestId("note-form");
            await note.Locator("input[name=text]").FillAsync("warming the cache by hand");
            await note.Locator("button[type=submit]").ClickAsync();
            await Expect(timeline.Locator("tr[data-category=note]")).ToContainTextAsync("warming the cache by hand");

            await SayAsync("alice", "inc-1", "incident resolve cache warmed");
            await SayAsync("alice", "inc-1", "incident postmortem");
            await page.ReloadAsync();
            await Expect(page.GetByTestId("status")).ToHaveTextAsync("resolved");
            await page.GetByTestId("postmortem-link").ClickAsync();
            var article = page.GetByTestId("postmortem");
            await Expect(article.Locator("h1")).ToHaveTextAsync("INC-1: checkout latency");
            await Expect(article.Locator("h2", new() { HasText = "Key moments" })).ToBeVisibleAsync();
            await Expect(article.Locator("li", new() { HasText = "the cache is cold after the restart" })).ToBeVisibleAsync();
            await Expect(article).ToContainTextAsync("cache warmed");

            await page.GotoAsync(server.Url + "/incidents");
            await page.Locator("#all").CheckAsync();
            await Expect(page.GetByTestId("incidents").Locator("tr[data-incident=INC-1]")).ToContainTextAsync("resolved");
            await Expect(page.GetByTestId("opened")).ToHaveTextAsync("1");
            await Expect(page.GetByTestId("mttr")).Not.ToHaveTextAsync("—");
            var mtta = await page.GetByTestId("mtta").TextContentAsync();
            var mttr = await page.GetByTestId("mttr").TextContentAsync();

            // The dashboard shows the same period figures next to the apps.
            await page.GotoAsync(server.Url + "/dashboard");
            await Expect(page.GetByTestId("open-incidents")).ToHaveTextAsync("No open incidents");
            await Expect(page.GetByTestId("incident-figures").GetByTestId("mtta")).ToHaveTextAsync(mtta!);
            await Expect(page.GetByTestId("incident-figures").GetByTestId("mttr")).ToHaveTextAsync(mttr!);
            await page.GotoAsync(server.Url + "/incidents");

            Directory.CreateDirectory(Chromium.OutputFolder);
            var shot = Path.Combine(Chromium.OutputFolder, "incidents.png");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = true });
            output.WriteLine($"incidents screenshot: {shot}");
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
