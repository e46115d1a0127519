using Microsoft.Playwright;

namespace Capstan.Web.Tests;

/// <summary>Debian's Chromium driven by Playwright, one per test run (no browser is ever downloaded).</summary>
public sealed class Chromium : IAsyncLifetime
{
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where the tests save screenshots: a folder next to the test assembly.</summary>
    public static string OutputFolder { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async Task InitializeAsync()
    {
        var path = Environment.GetEnvironmentVariable("CAPSTAN_CHROMIUM") ?? "/usr/bin/chromium";
        if (!File.Exists(path))
            throw new InvalidOperationException($"Chromium is not at {path}. Install it with `apt-get install -y chromium` (./test.sh does), or set CAPSTAN_CHROMIUM to a Chromium binary.");
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        Assertions.SetDefaultExpectTimeout(15_000);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = path,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        });
        Directory.CreateDirectory(OutputFolder);
    }

    /// <summary>A new browser context (its own cookies, like another person's browser) with one page.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
        context.SetDefaultTimeout(15_000);
        return await context.NewPageAsync();
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        _playwright?.Dispose();
    }
}

/// <summary>The web tests share one Chromium and run one class at a time.</summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<Chromium>
{
    public const string Name = "browser";
}
