using System.Text;
using Capstan.Core.Commands;
using Capstan.Core.Jobs;
using Capstan.Core.Ledger;
using Microsoft.Extensions.DependencyInjection;

namespace Capstan.Runbooks.Tests;

public sealed class DiagnosticsTests
{
    private static string Cell(Table table, string step, string column) =>
        table.Rows.First(r => r[0] == step)[table.Columns.ToList().IndexOf(column)];

    [Fact]
    public async Task The_seeded_http_check_runs_as_a_job_against_a_real_server_and_answers_with_a_table()
    {
        await using var server = new LocalServer((req, s, ct) => LocalServer.RespondAsync(s, req.Path == "/healthz" ? 200 : 404, "ok"));
        await using var t = await RunbookNode.StartAsync();
        var (job, final) = await t.RunJobAsync("carol", $"diag http-check url={server.Url("/healthz")}");
        Assert.Equal(JobState.Succeeded, job.Job.State);
        Assert.Equal("ok", Cell(final.Table!, "answer", "status"));
        Assert.Equal("ok", Cell(final.Table!, "port", "status"));
        Assert.Contains($"127.0.0.1:{server.Port} accepts connections", Cell(final.Table!, "port", "detail"));
        Assert.Contains("all 2 step(s) passed", final.Text);
        Assert.Equal(final.Table!.Rows.Count, job.Result!.Rows.Count);

        var (failed, failedFinal) = await t.RunJobAsync("carol", $"diag http-check url={server.Url("/missing")}");
        Assert.Equal(JobState.Failed, failed.Job.State);
        Assert.Contains("answered 404", Cell(failedFinal.Table!, "answer", "detail"));
        Assert.Equal("skipped", Cell(failedFinal.Table!, "port", "status"));
    }

    [Fact]
    public async Task Steps_use_earlier_results_check_json_values_and_continue_on_error_when_declared()
    {
        await using var server = new LocalServer((req, s, ct) => req.Path switch
        {
            "/login" => LocalServer.RespondAsync(s, 200, """{"session":{"token":"abc123"},"items":[{"id":7}]}""", "application/json"),
            "/orders/abc123/7" => LocalServer.RespondAsync(s, 200, """{"state":"shipped"}""", "application/json"),
            _ => LocalServer.RespondAsync(s, 500, "boom"),
        });
        await using var t = await RunbookNode.StartAsync();
        Assert.Null(await t.PushAsync("runbooks/order.yaml", """
            description: Follow an order through the API
            parameters:
              base: { type: url, required: true }
            destinations: [127.0.0.1]
            steps:
              - name: flaky
                http: "{{ base }}/flaky"
                continueOnError: true
              - name: login
                http: { url: "{{ base }}/login", expect: { json: "$.session.token" } }
              - name: first
                http: { url: "{{ base }}/login", expect: { json: "$.items[0].id", equals: "7" } }
              - name: order
                http: { url: "{{ base }}/orders/{{ steps.login.value }}/{{ steps.first.value }}", expect: { json: $.state, equals: shipped } }
            """));
        var (job, final) = await t.RunJobAsync("carol", $"diag order base={server.Url("").TrimEnd('/')}");
        Assert.Equal(JobState.Succeeded, job.Job.State);
        Assert.Equal("FAILED", Cell(final.Table!, "flaky", "status"));
        Assert.Contains("answered 500", Cell(final.Table!, "flaky", "detail"));
        Assert.Contains("$.state = shipped", Cell(final.Table!, "order", "detail"));
        Assert.Contains("1 step(s) failed but may continue on error: flaky", final.Text);
    }

    [Fact]
    public async Task A_json_path_reaches_a_name_with_dots_in_the_grammar_indicators_use_and_a_malformed_one_is_refused_at_push()
    {
        await using var server = new LocalServer((req, s, ct) =>
            LocalServer.RespondAsync(s, 200, """{"service.status":{"up":true,"checks":[{"name":"db"}]}}""", "application/json"));
        await using var t = await RunbookNode.StartAsync();
        Assert.Null(await t.PushAsync("runbooks/odd.yaml", """
            description: Read a field whose name has a dot
            parameters:
              base: { type: url, required: true }
            destinations: [127.0.0.1]
            steps:
              - name: up
                http: { url: "{{ base }}/status", expect: { json: "$['service.status'].up", equals: "true" } }
              - name: check
                http: { url: "{{ base }}/status", expect: { json: "$[\"service.status\"].checks[0].name", equals: db } }
            """));
        var (job, final) = await t.RunJobAsync("carol", $"diag odd base={server.Url("").TrimEnd('/')}");
        Assert.True(JobState.Succeeded == job.Job.State, final.Text + "\n" + string.Join("\n", final.Table!.Rows.Select(r => string.Join(" | ", r))));
        Assert.Contains("$['service.status'].up = true", Cell(final.Table!, "up", "detail"));

        var refused = await t.PushAsync("runbooks/bad.yaml", """
            description: A path with a bracket left open
            steps:
              - name: up
                http: { url: "http://127.0.0.1:1/status", expect: { json: "$.items[0" } }
            """);
        Assert.NotNull(refused);
        Assert.Contains(refused!.Errors, e => e.ToString().Contains("json path '$.items[0' has a '[' that is not closed"));
    }

    [Fact]
    public async Task Redirects_to_file_oversize_responses_hanging_endpoints_and_unreachable_hosts_fail_with_clear_sentences()
    {
        var closed = FreePort();
        await using var server = new LocalServer(async (req, s, ct) =>
        {
            switch (req.Path)
            {
                case "/to-file":
                    await LocalServer.RespondAsync(s, 302, "", headers: ("Location", "file:///etc/passwd"));
                    break;
                case "/huge":
                    // Claims 5 GB; the step's limit is 1 MB, so it is refused from the headers.
                    await s.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 5368709120\r\nConnection: close\r\n\r\n"), ct);
                    await s.WriteAsync(new byte[64 * 1024], ct);
                    break;
                case "/endless":
                    // No length at all: the reader must stop at the limit.
                    await s.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"), ct);
                    for (var i = 0; i < 100 && !ct.IsCancellationRequested; i++) await s.WriteAsync(new byte[64 * 1024], ct);
                    break;
                case "/hang":
                    await Task.Delay(Timeout.Infinite, ct);
                    break;
            }
        });
        await using var t = await RunbookNode.StartAsync();
        Assert.Null(await t.PushAsync("runbooks/bad.yaml", $$"""
            steps:
              - { name: redirect, http: "{{server.Url("/to-file")}}", continueOnError: true }
              - { name: huge, http: { url: "{{server.Url("/huge")}}" }, continueOnError: true }
              - { name: endless, http: { url: "{{server.Url("/endless")}}", maxBytes: 200000 }, continueOnError: true }
              - { name: hang, http: "{{server.Url("/hang")}}", timeout: 300ms, continueOnError: true }
              - { name: refused, tcp: "127.0.0.1:{{closed}}", continueOnError: true }
              - { name: dns, dns: no-such-host.invalid, timeout: 20s, continueOnError: true }
              - { name: last, tcp: "127.0.0.1:{{server.Port}}" }
            """));
        var (job, final) = await t.RunJobAsync("carol", "diag bad");
        var table = final.Table!;
        Assert.Contains("redirected to file:///etc/passwd; only http and https redirects are followed", Cell(table, "redirect", "detail"));
        Assert.Contains("the response is 5.0 GB, over this step's limit of 1.0 MB", Cell(table, "huge", "detail"));
        Assert.Contains("larger than this step's limit of 195.3 KB; stopped reading", Cell(table, "endless", "detail"));
        Assert.Contains("no answer within 300ms", Cell(table, "hang", "detail"));
        Assert.Contains($"127.0.0.1:{closed} refused the connection", Cell(table, "refused", "detail"));
        Assert.Contains("cannot resolve host 'no-such-host.invalid'", Cell(table, "dns", "detail"));
        Assert.Equal("ok", Cell(table, "last", "status"));
        Assert.Equal(JobState.Succeeded, job.Job.State);
        Assert.Contains("6 step(s) failed", final.Text);
    }

    [Fact]
    public async Task Scripts_get_arguments_as_literal_argv_a_clean_environment_and_a_folder_of_their_own()
    {
        Environment.SetEnvironmentVariable("RUNBOOK_TEST_PASSED", "passed-through");
        Environment.SetEnvironmentVariable("RUNBOOK_TEST_LEAK", "must-not-leak");
        await using var t = await RunbookNode.StartAsync();
        Assert.Null(await t.PushAsync(new Dictionary<string, string?>
        {
            ["scripts/show.sh"] = "#!/bin/sh\nprintf 'argc=%s\\n' \"$#\"\nfor a in \"$@\"; do printf 'arg=[%s]\\n' \"$a\"; done\nprintf 'pwd=%s\\n' \"$(pwd)\"\nenv | sort | sed 's/^/env:/'\nls -A | sed 's/^/file:/'\n",
            ["runbooks/show.yaml"] = """
                parameters:
                  text: { type: text, required: true }
                steps:
                  - name: show
                    script:
                      path: scripts/show.sh
                      args: ["{{ text }}", "--literal", "*"]
                      env: { MODE: diagnose }
                      passEnv: [RUNBOOK_TEST_PASSED]
                """,
        }));
        var hostile = "$(touch pwned); rm -rf ~ | cat && echo `id` > x";
        var (job, _) = await t.RunJobAsync("carol", $"diag show text=\"{hostile}\"");
        Assert.Equal(JobState.Succeeded, job.Job.State);
        var output = job.Output;
        Assert.Contains("argc=3", output);
        Assert.Contains($"arg=[{hostile}]", output);
        Assert.Contains("arg=[*]", output);
        Assert.DoesNotContain(output, l => l.StartsWith("file:", StringComparison.Ordinal));
        var pwd = output.Single(l => l.StartsWith("pwd=", StringComparison.Ordinal))[4..];
        Assert.StartsWith(Path.Combine(t.Root, "work", "runbooks"), pwd);
        Assert.Contains("env:MODE=diagnose", output);
        Assert.Contains("env:RUNBOOK_TEST_PASSED=passed-through", output);
        Assert.Contains($"env:HOME={pwd}", output);
        Assert.DoesNotContain(output, l => l.Contains("must-not-leak"));
        Assert.DoesNotContain(output, l => l.StartsWith("env:DOTNET", StringComparison.Ordinal));
        Assert.False(Directory.Exists(pwd), "the working folder is removed after the step");
    }

    [Fact]
    public async Task Cancelling_a_diag_job_kills_its_script_and_cancelling_twice_says_it_is_already_cancelled()
    {
        await using var t = await RunbookNode.StartAsync();
        Assert.Null(await t.PushAsync(new Dictionary<string, string?>
        {
            ["scripts/slow.sh"] = "#!/bin/sh\necho \"pid=$$\"\nsleep 300\n",
            ["runbooks/slow.yaml"] = "steps:\n  - { name: wait, script: scripts/slow.sh, timeout: 10m }\n",
        }));
        var started = await t.SayAsync("bob", "diag slow");
        var id = System.Text.RegularExpressions.Regex.Match(started.Replies[0].Text, @"job (j\d+)").Groups[1].Value;
        var jobs = t.Services.GetRequiredService<Jobs>();
        var pid = 0;
        var deadline = DateTime.UtcNow + RunbookNode.Patience;
        while (pid == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the script never started");
            await t.Node.Jobs.Jobs.GetAsync(id, CancellationToken.None);
            var running = t.Events.Select(e => e.Message.Text).LastOrDefault(x => x.Contains("pid="));
            if (running is not null) pid = int.Parse(System.Text.RegularExpressions.Regex.Match(running, @"pid=(\d+)").Groups[1].Value);
            else await Task.Delay(20);
        }
        var first = await t.SayAsync("bob", $"cancel {id}");
        Assert.Contains($"Cancelled job {id}", first.Replies[0].Text);
        var second = await t.SayAsync("bob", $"cancel {id}");
        Assert.Contains("already cancelled", second.Replies[0].Text);
        Assert.Equal(JobState.Cancelled, (await jobs.GetAsync(id, CancellationToken.None))!.Job.State);
        Assert.False(Alive(pid), $"the script (pid {pid}) still runs after cancel");
    }

    [Fact]
    public async Task Sqlite_queries_run_read_only_with_parameters_and_a_row_limit()
    {
        var file = Path.Combine(Path.GetTempPath(), "capstan-sqlite-" + Guid.NewGuid().ToString("N")[..8] + ".db");
        await using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={file}"))
        {
            await c.OpenAsync();
            var cmd = c.CreateCommand();
            cmd.CommandText = "CREATE TABLE jobs (id INTEGER PRIMARY KEY, state TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50) INSERT INTO jobs SELECT i, CASE WHEN i % 5 = 0 THEN 'stuck' ELSE 'done' END FROM n;";
            await cmd.ExecuteNonQueryAsync();
        }
        await using var t = await RunbookNode.StartAsync();
        Assert.Null(await t.PushAsync("runbooks/queue.yaml", $$$"""
            parameters:
              state: { type: enum, values: [stuck, done], default: stuck }
            steps:
              - name: stuck
                sql: { driver: sqlite, connection: "Data Source={{{file}}}", query: "SELECT id, state FROM jobs WHERE state = @state ORDER BY id", parameters: { state: "{{ state }}" }, maxRows: 3 }
              - name: write
                sql: { driver: sqlite, connection: "Data Source={{{file}}}", query: "DELETE FROM jobs" }
            """));
        var (job, final) = await t.RunJobAsync("carol", "diag queue state=stuck");
        Assert.Equal(JobState.Failed, job.Job.State);
        Assert.True(Cell(final.Table!, "stuck", "detail").Contains("first 3 rows (the row limit; more exist)"), final.Table!.ToText());
        Assert.Contains("readonly", Cell(final.Table!, "write", "detail"));
        var result = t.Events.Select(e => e.Message).First(m => m.Text.StartsWith("stuck: 3 row(s)", StringComparison.Ordinal));
        Assert.Equal(["5", "10", "15"], result.Table!.Rows.Select(r => r[0]));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        await using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={file}"))
        {
            await c.OpenAsync();
            var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT count(*) FROM jobs";
            Assert.Equal(50L, (long)(await cmd.ExecuteScalarAsync())!);
        }
        File.Delete(file);
    }

    [Fact]
    public async Task Secrets_come_from_the_environment_and_never_reach_chat_or_the_ledger()
    {
        const string secret = "tok-9f3c2e71d4b8";
        Environment.SetEnvironmentVariable("CAPSTAN_SECRET_API_TOKEN", secret);
        await using var server = new LocalServer((req, s, ct) =>
            req.Headers.TryGetValue("Authorization", out var auth) && auth == secret
                ? LocalServer.RespondAsync(s, 200, $"hello, your token is {secret}")
                : LocalServer.RespondAsync(s, 500, "no token"));
        await using var t = await RunbookNode.StartAsync();
        Assert.Null(await t.PushAsync(new Dictionary<string, string?>
        {
            ["scripts/echo.sh"] = "#!/bin/sh\necho \"token=$TOKEN\"\n",
            ["runbooks/secret.yaml"] = $$"""
                steps:
                  - name: api
                    http: { url: "{{server.Url("/")}}", headers: { Authorization: { secret: api-token } }, expect: { contains: "your token" } }
                  - name: echo
                    script: { path: scripts/echo.sh, env: { TOKEN: { secret: api-token } } }
                  - name: missing
                    http: { url: "{{server.Url("/")}}", headers: { Authorization: { secret: not-set } } }
                """,
        }));
        var (job, final) = await t.RunJobAsync("carol", "diag secret");
        Assert.True("ok" == Cell(final.Table!, "api", "status"), final.Table!.ToText());
        Assert.Contains("token=[redacted]", job.Output);
        Assert.Contains("secret 'not-set' is not set: set the environment variable CAPSTAN_SECRET_NOT_SET", Cell(final.Table!, "missing", "detail"));
        Assert.DoesNotContain(t.Events, e => e.Message.Text.Contains(secret) || (e.Message.Table?.ToText().Contains(secret) ?? false));
        Assert.DoesNotContain(job.Output, l => l.Contains(secret));
        var ledger = await t.Node.Ledger.QueryAsync(new LedgerQuery(Limit: 1000), CancellationToken.None);
        Assert.DoesNotContain(ledger, e => e.Data.Contains(secret));
        Assert.Contains(ledger, e => e.Data.Contains("[redacted]"));
    }

    private static bool Alive(int pid)
    {
        try { return !System.Diagnostics.Process.GetProcessById(pid).HasExited; }
        catch (ArgumentException) { return false; }
    }

    private static int FreePort()
    {
        var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        var port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}
