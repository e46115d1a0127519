using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Capstan.Web.Tests;

/// <summary>
/// A page on another origin (another port on the same host) cannot make a signed-in person's browser change
/// anything in Capstan; Capstan's own pages and bearer-token callers still can.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class SameOriginTests(Chromium chromium, CapstanServer server) : IClassFixture<CapstanServer>
{
    [Fact]
    public async Task A_page_on_another_port_cannot_create_a_token_post_a_message_or_sign_the_person_out()
    {
        var page = await chromium.NewPageAsync();
        using var evil = new EvilSite(server.Url);
        try
        {
            await new ChatPage(page).SignInAsync(await server.SignInLinkAsync("alice"), "alice");
            var before = await TokenCreationsAsync();

            // The other origin's page fetches with credentials, and submits a form to /api/tokens and /signout.
            await page.GotoAsync(evil.Url + "/fetch");
            await Expect(page.Locator("#result")).Not.ToBeEmptyAsync();
            await page.GotoAsync(evil.Url + "/form");
            await page.WaitForURLAsync(server.Url + "/api/tokens*");
            Assert.Contains("another site or port", await page.Locator("body").TextContentAsync());
            await page.GotoAsync(evil.Url + "/signout");
            await page.WaitForURLAsync(server.Url + "/signout");
            Assert.Contains("another site or port", await page.Locator("body").TextContentAsync());

            // Nothing changed: no token, no message, and alice is still signed in.
            Assert.Equal(before, await TokenCreationsAsync());
            await page.GotoAsync(server.Url + "/#ops");
            var chat = new ChatPage(page);
            await Expect(chat.Me).ToContainTextAsync("(alice)");
            await Expect(chat.Messages.Filter(new() { HasTextString = "from the evil page" })).ToHaveCountAsync(0);

            // Capstan's own page still works: the composer posts, and the New API token button creates one.
            await chat.SendAsync("from alice's own page");
            await Expect(chat.Message("from alice's own page")).ToHaveCountAsync(1);
            page.Dialog += async (_, d) => await d.DismissAsync();
            await page.Locator("#new-token").ClickAsync();
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (await TokenCreationsAsync() == before)
            {
                Assert.True(DateTime.UtcNow < deadline, "the New API token button on Capstan's own page created no token");
                await Task.Delay(100);
            }
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task Forged_origin_headers_with_the_session_cookie_are_refused_with_a_reason_and_bearer_tokens_are_not_affected()
    {
        var cookie = await SessionCookieAsync("alice");
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = new Uri(server.Url) };
        var port = new Uri(server.Url).Port;
        foreach (var (origin, site) in new (string?, string?)[]
        {
            ($"http://127.0.0.1:{port + 1}", null), ("http://evil.example", null), (null, "cross-site"), (null, "same-site"), (null, null),
            ($"http://127.0.0.1:{port + 1}", "same-origin"),
        })
        {
            foreach (var path in new[] { "/api/tokens", "/api/rooms/ops/messages", "/api/incidents/1/notes", "/api/signin-links?person=bob", "/signout" })
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent("{\"text\":\"forged\"}", Encoding.UTF8, "application/json") };
                request.Headers.Add("Cookie", "capstan_session=" + cookie);
                if (origin is not null) request.Headers.Add("Origin", origin);
                if (site is not null) request.Headers.Add("Sec-Fetch-Site", site);
                using var response = await http.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"POST {path} from Origin {origin}, Sec-Fetch-Site {site}: {(int)response.StatusCode} {body}");
                Assert.Contains("Authorization: Bearer TOKEN", body);
            }
        }

        // The same cookie from Capstan's own origin is accepted.
        using (var own = new HttpRequestMessage(HttpMethod.Post, "/api/tokens?label=own"))
        {
            own.Headers.Add("Cookie", "capstan_session=" + cookie);
            own.Headers.Add("Origin", server.Url);
            own.Headers.Add("Sec-Fetch-Site", "same-origin");
            using var ok = await http.SendAsync(own);
            Assert.True(ok.IsSuccessStatusCode, await ok.Content.ReadAsStringAsync());
        }

        // A bearer token (the CLI, scripts) is not affected, whatever Origin says.
        var (exit, token, stderr) = await server.RunAsync("token", "create", "--data", server.DataDir, "--person", "bob");
        Assert.True(exit == 0, stderr);
        using var bearer = new HttpRequestMessage(HttpMethod.Post, "/api/rooms/ops/messages") { Content = new StringContent("{\"text\":\"whoami\"}", Encoding.UTF8, "application/json") };
        bearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Trim());
        bearer.Headers.Add("Origin", "http://evil.example");
        using var answered = await http.SendAsync(bearer);
        Assert.True(answered.IsSuccessStatusCode, await answered.Content.ReadAsStringAsync());
    }

    private async Task<string> SessionCookieAsync(string person)
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false });
        using var response = await http.GetAsync(await server.SignInLinkAsync(person));
        var set = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("capstan_session=", StringComparison.Ordinal));
        return set["capstan_session=".Length..set.IndexOf(';')];
    }

    private async Task<int> TokenCreationsAsync()
    {
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        var admin = (await File.ReadAllTextAsync(Path.Combine(server.DataDir, "local-admin.token"))).Trim();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/ledger?kind=access.token.created&limit=1000");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin);
        request.Headers.Add("X-Capstan-As", "alice");
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.GetArrayLength();
    }

    /// <summary>A local listener on another port serving pages that try to use the person's Capstan session.</summary>
    private sealed class EvilSite : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly string _target;

        public string Url { get; }

        public EvilSite(string target)
        {
            _target = target;
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            Url = $"http://127.0.0.1:{port}";
            _listener.Prefixes.Add(Url + "/");
            _listener.Start();
            _ = ServeAsync();
        }

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try { context = await _listener.GetContextAsync(); }
                catch (HttpListenerException) { return; }
                catch (ObjectDisposedException) { return; }
                var html = context.Request.Url!.AbsolutePath switch
                {
                    "/fetch" => $$"""
                        <p id=result></p><script>
                        Promise.all([
                          fetch('{{_target}}/api/tokens?label=evil', { method: 'POST', credentials: 'include', mode: 'no-cors' }),
                          fetch('{{_target}}/api/rooms/ops/messages', { method: 'POST', credentials: 'include', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' }, body: '{"text":"from the evil page","addressed":false}' }),
                        ]).then(() => document.getElementById('result').textContent = 'sent', e => document.getElementById('result').textContent = 'failed ' + e);
                        </script>
                        """,
                    "/form" => $"<form method=post action=\"{_target}/api/tokens?label=evil\"></form><script>document.forms[0].submit()</script>",
                    "/signout" => $"<form method=post action=\"{_target}/signout\"></form><script>document.forms[0].submit()</script>",
                    _ => "",
                };
                var bytes = Encoding.UTF8.GetBytes(html);
                context.Response.ContentType = "text/html; charset=utf-8";
                await context.Response.OutputStream.WriteAsync(bytes);
                context.Response.Close();
            }
        }

        public void Dispose() => _listener.Close();
    }
}
