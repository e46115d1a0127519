using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Capstan.Web.Tests;

/// <summary>Who may call what: the one sign-in check on the API, /signin spending only sign-in links, /metrics behind a token, and the terminal printer.</summary>
[Collection(BrowserCollection.Name)]
public sealed class AccessTests(CapstanServer server) : IClassFixture<CapstanServer>
{
    [Fact]
    public async Task The_api_says_what_to_do_without_a_token_and_the_local_admin_token_needs_a_person()
    {
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        foreach (var path in new[] { "/api/me", "/api/rooms", "/api/ledger", "/api/jobs", "/api/incidents", "/api/apps", "/api/notifications", "/api/indicators/dora" })
        {
            using var none = await http.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
            Assert.Contains("Sign in first: send `Authorization: Bearer TOKEN`", JsonDocument.Parse(await none.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
        }
        using (var forged = new HttpRequestMessage(HttpMethod.Get, "/api/me"))
        {
            forged.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "cap_tforged_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
            using var r = await http.SendAsync(forged);
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            Assert.Contains("This token is not known", await r.Content.ReadAsStringAsync());
        }
        var admin = (await File.ReadAllTextAsync(Path.Combine(server.DataDir, "local-admin.token"))).Trim();
        using (var noPerson = new HttpRequestMessage(HttpMethod.Get, "/api/me"))
        {
            noPerson.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin);
            using var r = await http.SendAsync(noPerson);
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.Contains("X-Capstan-As: PERSON", await r.Content.ReadAsStringAsync());
        }
        using (var asBob = new HttpRequestMessage(HttpMethod.Get, "/api/me"))
        {
            asBob.Headers.Authorization = new AuthenticationHeaderValue("Bearer", admin);
            asBob.Headers.Add("X-Capstan-As", "bob");
            using var r = await http.SendAsync(asBob);
            var body = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("bob", body.GetProperty("id").GetString());
            Assert.Equal("local admin", body.GetProperty("via").GetString());
        }
        using var page = await http.GetAsync("/incidents/1/postmortem");
        Assert.Equal(HttpStatusCode.Unauthorized, page.StatusCode);
        Assert.Contains("Open the sign-in link", await page.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_api_token_passed_to_signin_is_refused_and_keeps_working()
    {
        var token = await TokenAsync("bob");
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = new Uri(server.Url) };
        using var signin = await http.GetAsync("/signin?token=" + Uri.EscapeDataString(token));
        Assert.Equal(HttpStatusCode.Unauthorized, signin.StatusCode);
        Assert.False(signin.Headers.Contains("Set-Cookie"), "an API token became a browser session");
        Assert.Contains("not a sign-in link", await signin.Content.ReadAsStringAsync());

        using var me = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        me.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var still = await http.SendAsync(me);
        Assert.True(still.IsSuccessStatusCode, "the API token stopped working after /signin saw it: " + await still.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Metrics_stay_open_until_capstan_yaml_asks_for_a_token_and_then_need_it()
    {
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        using (var open = await http.GetAsync("/metrics")) Assert.True(open.IsSuccessStatusCode, $"/metrics answered {(int)open.StatusCode} without a metrics: setting");

        const string secret = "scrape-me-3c1f9a0b7d";
        await File.AppendAllTextAsync(Path.Combine(server.DataDir, "secrets.yaml"), $"\nmetrics-scraper: {secret}\n");
        await PushAsync("\nmetrics:\n  token: { secret: metrics-scraper }\n");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using var r = await http.GetAsync("/metrics");
            if (r.StatusCode == HttpStatusCode.Unauthorized)
            {
                Assert.Contains("Authorization: Bearer VALUE", await r.Content.ReadAsStringAsync());
                break;
            }
            Assert.True(DateTime.UtcNow < deadline, "/metrics still answers without a token after metrics.token was pushed");
            await Task.Delay(200);
        }
        using (var wrong = new HttpRequestMessage(HttpMethod.Get, "/metrics"))
        {
            wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "guess");
            using var r = await http.SendAsync(wrong);
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        }
        using var right = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        right.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        using var ok = await http.SendAsync(right);
        Assert.True(ok.IsSuccessStatusCode, await ok.Content.ReadAsStringAsync());
        Assert.Contains("# TYPE", await ok.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Escape_sequences_in_other_peoples_messages_are_printed_visibly_by_capstan_say_and_chat()
    {
        const string hostile = "hi \u001b]0;owned\u0007\u001b[2J\u001b[31mred\u009b31m \u202eevil\b\b\rX";
        var (exit, stdout, stderr) = await server.RunAsync("say", "--data", server.DataDir, "--as", "carol", "--chat", hostile);
        Assert.True(exit == 0, stdout + stderr);

        // bob reads the room from his terminal (`capstan chat` shows the recent messages): the text arrives, its control characters do not.
        var chat = await ChatAsync("bob");
        Assert.Contains("carol: hi ^[]0;owned^G^[[2J^[[31mred\\x9b31m <U+202E>evil^H^H^MX", chat);
        foreach (var c in new[] { '\u001b', '\u009b', '\u202e', '\b', '\u0007', '\r' }) Assert.DoesNotContain(c, chat);

        // `capstan say` prints the answers it gets the same way.
        var (_, said, saidErr) = await server.RunAsync("say", "--data", server.DataDir, "--as", "bob", "\u001b[2Jwhoami");
        Assert.DoesNotContain('\u001b', said + saidErr);
    }

    private async Task<string> ChatAsync(string person)
    {
        var psi = new ProcessStartInfo(CapstanServer.Executable) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "chat", "--data", server.DataDir, "--as", person }) psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        using var p = Process.Start(psi)!;
        await p.StandardInput.WriteLineAsync("/quit");
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(timeout.Token);
        return await stdout + await stderr;
    }

    private async Task<string> TokenAsync(string person)
    {
        var (exit, stdout, stderr) = await server.RunAsync("token", "create", "--data", server.DataDir, "--person", person);
        Assert.True(exit == 0, stdout + stderr);
        return stdout.Trim();
    }

    private async Task PushAsync(string appendToCapstanYaml)
    {
        var clone = Path.Combine(Path.GetTempPath(), "capstan-web-config-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await GitAsync(null, "clone", "--quiet", Path.Combine(server.DataDir, "config.git"), clone);
            await File.AppendAllTextAsync(Path.Combine(clone, "capstan.yaml"), appendToCapstanYaml);
            await GitAsync(clone, "-c", "user.name=Alice Admin", "-c", "user.email=alice@example.com", "commit", "--quiet", "-am", "metrics need a token");
            await GitAsync(clone, "push", "--quiet", "origin", "HEAD:main");
        }
        finally
        {
            try { Directory.Delete(clone, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static async Task GitAsync(string? folder, params string[] args)
    {
        var psi = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (folder is not null) psi.WorkingDirectory = folder;
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = await p.StandardError.ReadToEndAsync();
        await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, $"git {string.Join(' ', args)} exited {p.ExitCode}: {stderr}");
    }
}
