using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Capstan.EndToEnd.Tests;

/// <summary>A new user's first minutes: capstan up on an empty folder, then capstan say, the API and the ledger.</summary>
public sealed class UpAndSayTests : IAsyncLifetime
{
    private CapstanServer _server = null!;

    public async Task InitializeAsync() => _server = await CapstanServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_server.Data, true); } catch (IOException) { }
    }

    [Fact]
    public async Task Up_on_an_empty_folder_creates_ledger_config_repo_and_prints_url_and_sign_in_link()
    {
        Assert.Contains($"Capstan is running at {_server.Url}", _server.Output);
        Assert.Matches(CapstanExe.SignInLink(), _server.Output);
        Assert.Contains("sign in as alice", _server.Output);
        Assert.True(File.Exists(Path.Combine(_server.Data, "capstan.db")));
        Assert.True(Directory.Exists(Path.Combine(_server.Data, "config.git", "objects")));
        var clone = Path.Combine(_server.Data, "clone-check");
        var git = System.Diagnostics.Process.Start("git", ["clone", "--quiet", Path.Combine(_server.Data, "config.git"), clone])!;
        await git.WaitForExitAsync();
        var yaml = await File.ReadAllTextAsync(Path.Combine(clone, "capstan.yaml"));
        Assert.Contains("alice:", yaml);
        Assert.Contains("prod: { protected: true", yaml);
        using var http = new HttpClient();
        var health = await http.GetFromJsonAsync<JsonElement>($"{_server.Url}/healthz");
        Assert.Equal("ok", health.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Say_prints_replies_and_exits_0_1_or_2()
    {
        var help = await CapstanExe.RunAsync("say", "--data", _server.Data, "--as", "bob", "help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("Commands bob can run", help.Output);
        Assert.DoesNotContain("\u001b[", help.Output);

        var denied = await CapstanExe.RunAsync("say", "--data", _server.Data, "--as", "carol", "token revoke bob");
        Assert.Equal(1, denied.ExitCode);
        Assert.Contains("needs permission 'admin'", denied.Output);

        var unknown = await CapstanExe.RunAsync("say", "--data", _server.Data, "--as", "bob", "histroy");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("did you mean 'history'", unknown.Output);

        var usage = await CapstanExe.RunAsync("say", "--data", _server.Data, "help");
        Assert.Equal(2, usage.ExitCode);
        Assert.Contains("--as PERSON is required", usage.Error);

        var badFlag = await CapstanExe.RunAsync("say", "--frobnicate", "help");
        Assert.Equal(2, badFlag.ExitCode);

        var noRoom = await CapstanExe.RunAsync("say", "--server", _server.Url, "--token", "cap_x", "--room", "#", "whoami");
        Assert.Equal(2, noRoom.ExitCode);
        Assert.Contains("A room needs a name, for example `--room ops`", noRoom.Error);
    }

    [Fact]
    public async Task Say_against_a_remote_server_uses_a_token_and_rejects_forged_or_revoked_ones()
    {
        var create = await CapstanExe.RunAsync("token", "create", "--data", _server.Data, "--person", "carol");
        Assert.Equal(0, create.ExitCode);
        var token = create.Output.Trim();
        var who = await CapstanExe.RunAsync("say", "--server", _server.Url, "--token", token, "whoami");
        Assert.Equal(0, who.ExitCode);
        Assert.Contains("You are carol", who.Output);

        // A URL that is not Capstan's API (a wrong path, or a proxy's page) is said to be so, not a crash.
        var wrong = await CapstanExe.RunAsync("say", "--server", _server.Url + "/not-capstan", "--token", token, "whoami");
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("answered 404 Not Found to POST /not-capstan/api/rooms/ops/messages, not a Capstan answer", wrong.Error);
        Assert.DoesNotContain("Unhandled exception", wrong.Error);
        var notUrl = await CapstanExe.RunAsync("say", "--server", "capstan.example", "--token", token, "whoami");
        Assert.Equal(2, notUrl.ExitCode);
        Assert.Contains("--server needs the server's http:// or https:// address, for example --server http://127.0.0.1:8080 (got 'capstan.example')", notUrl.Error);

        var forged = await CapstanExe.RunAsync("say", "--server", _server.Url, "--token", token[..^4] + "AAAA", "whoami");
        Assert.Equal(1, forged.ExitCode);
        Assert.Contains("not known", forged.Error);

        var ask = await CapstanExe.RunAsync("say", "--data", _server.Data, "--as", "alice", "token revoke carol");
        var code = System.Text.RegularExpressions.Regex.Match(ask.Output, "confirm ([A-Z0-9]{4})").Groups[1].Value;
        Assert.Equal(0, (await CapstanExe.RunAsync("say", "--data", _server.Data, "--as", "alice", $"confirm {code}")).ExitCode);
        var stale = await CapstanExe.RunAsync("say", "--server", _server.Url, "--token", token, "whoami");
        Assert.Equal(1, stale.ExitCode);
        Assert.Contains("revoked", stale.Error);
    }

    [Fact]
    public async Task The_http_api_posts_messages_and_pages_through_the_ledger()
    {
        var token = (await CapstanExe.RunAsync("token", "create", "--data", _server.Data, "--person", "bob")).Output.Trim();
        using var http = new HttpClient { BaseAddress = new Uri(_server.Url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var post = await http.PostAsJsonAsync("/api/rooms/ops/messages", new { text = "whoami" });
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        var body = await post.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Succeeded", body.GetProperty("outcome").GetString());
        var reply = body.GetProperty("replies")[0];
        Assert.Contains("You are bob", reply.GetProperty("text").GetString());
        Assert.Equal(body.GetProperty("messageId").GetString(), reply.GetProperty("threadId").GetString());

        var threaded = await http.PostAsJsonAsync("/api/rooms/ops/messages", new { text = "help whoami", threadId = body.GetProperty("messageId").GetString() });
        var threadedBody = await threaded.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(body.GetProperty("messageId").GetString(), threadedBody.GetProperty("replies")[0].GetProperty("threadId").GetString());

        Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsJsonAsync("/api/rooms/ops/messages", new { text = "" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsJsonAsync("/api/rooms/nowhere/messages", new { text = "help" })).StatusCode);
        // `curl -d` sends a form type: the answer says what to send instead of failing with an empty 500.
        var form = await http.PostAsync("/api/rooms/ops/messages", new StringContent("{\"text\":\"whoami\"}", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, form.StatusCode);
        Assert.Contains("Content-Type: application/json", (await form.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        var badQuery = await http.GetAsync("/api/ledger?after=abc");
        Assert.Equal(HttpStatusCode.BadRequest, badQuery.StatusCode);
        Assert.Contains("after", (await badQuery.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        using (var anonymous = new HttpClient())
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync($"{_server.Url}/api/rooms/ops/messages", new { text = "help" })).StatusCode);

        var first = await http.GetFromJsonAsync<JsonElement[]>("/api/ledger?after=0&limit=5");
        Assert.Equal(5, first!.Length);
        var next = await http.GetFromJsonAsync<JsonElement[]>($"/api/ledger?after={first[^1].GetProperty("seq").GetInt64()}&limit=5");
        Assert.Equal(first[^1].GetProperty("seq").GetInt64() + 1, next![0].GetProperty("seq").GetInt64());
        var decisions = await http.GetFromJsonAsync<JsonElement[]>("/api/ledger?kind=policy.decision&person=bob");
        Assert.All(decisions!, d => Assert.Equal("bob", d.GetProperty("actor").GetString()));
        Assert.NotEmpty(decisions!);

        var metrics = await http.GetStringAsync("/metrics");
        Assert.Contains("capstan_commands_total", metrics);
    }

    [Fact]
    public async Task Direct_messages_over_the_api_are_for_their_person_only()
    {
        // Declaring an incident with bob as commander tells bob so in his direct-message room.
        var open = await CapstanExe.RunAsync("say", "--data", _server.Data, "--as", "alice", "incident open \"login down\" sev1 commander=@bob");
        Assert.True(open.ExitCode == 0, open.Output + open.Error);
        async Task<HttpClient> AsAsync(string person)
        {
            var token = (await CapstanExe.RunAsync("token", "create", "--data", _server.Data, "--person", person)).Output.Trim();
            var http = new HttpClient { BaseAddress = new Uri(_server.Url) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return http;
        }
        using var bob = await AsAsync("bob");
        using var carol = await AsAsync("carol");

        var mine = await bob.GetFromJsonAsync<JsonElement[]>("/api/rooms/dm-bob/messages");
        Assert.Contains(mine!, m => m.GetProperty("text").GetString()!.Contains("made you commander", StringComparison.Ordinal));
        Assert.Contains(await bob.GetFromJsonAsync<JsonElement[]>("/api/ledger?room=dm-bob") ?? [], e => e.GetProperty("kind").GetString() == "chat.reply");

        var read = await carol.GetAsync("/api/rooms/dm-bob/messages");
        Assert.Equal(HttpStatusCode.Forbidden, read.StatusCode);
        Assert.Contains("only bob can read it", (await read.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, (await carol.PostAsJsonAsync("/api/rooms/dm-bob/messages", new { text = "whoami" })).StatusCode);
        var rooms = await carol.GetFromJsonAsync<JsonElement[]>("/api/rooms");
        Assert.Contains(rooms!, r => r.GetProperty("name").GetString() == "inc-1");
        Assert.DoesNotContain(rooms!, r => r.GetProperty("name").GetString() == "dm-bob");
        Assert.Empty(await carol.GetFromJsonAsync<JsonElement[]>("/api/ledger?room=dm-bob") ?? []);
        Assert.DoesNotContain(await carol.GetFromJsonAsync<JsonElement[]>("/api/ledger?limit=1000") ?? [], e => e.GetProperty("room").GetString() == "dm-bob");
    }

    [Fact]
    public async Task Ledger_verify_counts_entries_and_names_the_first_altered_one()
    {
        await CapstanExe.RunAsync("say", "--data", _server.Data, "--as", "bob", "whoami");
        var ok = await CapstanExe.RunAsync("ledger", "verify", "--data", _server.Data);
        Assert.Equal(0, ok.ExitCode);
        Assert.Matches(@"Ledger intact: \d+ entries checked", ok.Output);

        await using (var c = new SqliteConnection($"Data Source={Path.Combine(_server.Data, "capstan.db")}"))
        {
            await c.OpenAsync();
            await using var cmd = c.CreateCommand();
            cmd.CommandText = "UPDATE ledger SET actor = 'mallory' WHERE seq = 3";
            await cmd.ExecuteNonQueryAsync();
        }
        var bad = await CapstanExe.RunAsync("ledger", "verify", "--data", _server.Data);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("broken at entry 3", bad.Output);
    }
}

/// <summary>Stopping and starting again on the same folder resumes with everything kept.</summary>
public sealed class RestartTests
{
    [Fact]
    public async Task Restarting_on_the_same_folder_keeps_messages_tokens_and_configuration()
    {
        string data;
        string token;
        await using (var first = await CapstanServer.StartAsync())
        {
            data = first.Data;
            token = (await CapstanExe.RunAsync("token", "create", "--data", data, "--person", "bob")).Output.Trim();
            Assert.Equal(0, (await CapstanExe.RunAsync("say", "--data", data, "--as", "bob", "--room", "dev", "--chat", "remember this")).ExitCode);
            Assert.Equal(0, await first.StopAsync());
            Assert.False(File.Exists(Path.Combine(data, "server.json")));
        }
        // With no server running, say opens the folder in-process.
        var offline = await CapstanExe.RunAsync("say", "--data", data, "--as", "carol", "history 50 in dev");
        Assert.Equal(0, offline.ExitCode);
        Assert.Contains("remember this", offline.Output);

        await using var second = await CapstanServer.StartAsync(data);
        Assert.DoesNotContain("new: seeded", second.Output);
        var history = await CapstanExe.RunAsync("say", "--server", second.Url, "--token", token, "history 50 in dev");
        Assert.Equal(0, history.ExitCode);
        Assert.Contains("remember this", history.Output);
        var verify = await CapstanExe.RunAsync("ledger", "verify", "--data", data);
        Assert.Equal(0, verify.ExitCode);

        var twice = await CapstanExe.RunAsync("up", "--data", data, "--port", CapstanExe.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(1, twice.ExitCode);
        Assert.Contains("already running", twice.Error);
    }

    [Fact]
    public async Task Behind_a_proxy_links_use_the_public_url_and_a_bad_one_is_refused_with_an_example()
    {
        await using var server = await CapstanServer.StartAsync(null, null, "--public-url", "https://capstan.example.com/");
        Assert.Contains("https://capstan.example.com/signin?token=cap_", server.Output);
        var link = await CapstanExe.RunAsync("signin-link", "--data", server.Data, "--person", "bob");
        Assert.Equal(0, link.ExitCode);
        Assert.StartsWith("https://capstan.example.com/signin?token=cap_", link.Output.Trim());
        // The CLI still talks to the server where it listens.
        Assert.Equal(0, (await CapstanExe.RunAsync("say", "--data", server.Data, "--as", "bob", "whoami")).ExitCode);

        var other = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "capstan-e2e-" + Guid.NewGuid().ToString("N")[..8]);
        var bad = await CapstanExe.RunAsync("up", "--data", other, "--port", "0", "--public-url", "capstan.example.com");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--public-url must be an absolute http(s) address such as https://capstan.example.com", bad.Error);
        // Credentials would go into every link posted to chat.
        var secret = await CapstanExe.RunAsync("up", "--data", other, "--port", "0", "--public-url", "https://bob:hunter2@capstan.example.com");
        Assert.Equal(2, secret.ExitCode);
        Assert.Contains("no user name, password", secret.Error);
        Assert.False(Directory.Exists(other), "a refused start creates nothing");
    }

    [Fact]
    public async Task Check_demo_probes_the_demo_app_everywhere_it_runs_and_a_typo_in_products_points_at_its_line()
    {
        await using var server = await CapstanServer.StartAsync();
        // The seeded demo starts in dev and staging; until both answer, check reports them as they are.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        string output;
        while (true)
        {
            var check = await CapstanExe.RunAsync("say", "--data", server.Data, "--as", "carol", "check demo");
            output = check.Output;
            if (check.ExitCode == 0 && output.Contains("demo: all 2 service(s) up.", StringComparison.Ordinal)) break;
            Assert.True(DateTime.UtcNow < deadline, "check demo never found both environments up:\n" + output);
            await Task.Delay(500);
        }
        Assert.Matches(@"demo in dev\s+up\s+\d+ ms\s+1\.0\.0: GET /healthz → 200", output);
        Assert.Matches(@"demo in staging\s+up\s+\d+ ms\s+1\.0\.0: GET /healthz → 200", output);

        var clone = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "capstan-e2e-clone-" + Guid.NewGuid().ToString("N")[..8]);
        using (var git = System.Diagnostics.Process.Start("git", ["clone", "-q", System.IO.Path.Combine(server.Data, "config.git"), clone])) await git!.WaitForExitAsync();
        var main = System.IO.Path.Combine(clone, "capstan.yaml");
        var lines = (await File.ReadAllTextAsync(main)).Split('\n');
        var at = Array.FindIndex(lines, l => l.Trim() == "apps: [demo]");
        Assert.NotEqual(-1, at); // the seeded capstan.yaml lists the demo product's apps
        lines[at] = lines[at].Replace("[demo]", "[demo, dmeo]", StringComparison.Ordinal);
        await File.WriteAllTextAsync(main, string.Join('\n', lines));
        var bad = await CapstanExe.RunAsync("validate", clone);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains($"capstan.yaml:{at + 1}:", bad.Output);
        Assert.Contains("product demo: unknown app 'dmeo' — did you mean 'demo'? Known apps: demo. Declare it in apps/dmeo.yaml or remove it", bad.Output);
    }
}
