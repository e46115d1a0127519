using System.Collections.Concurrent;
using System.Net;
using System.Text.RegularExpressions;
using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Jobs;

namespace Capstan.Runbooks.Tests;

/// <summary>
/// Secrets and network reach follow the policy, not the caller: against real local listeners, a secret goes only
/// where its runbook binds it, never along a redirect to another origin; loopback and private addresses are reached
/// only where capstan.yaml's egress: allows them, checked on the resolved address of every connection; an address
/// typed in chat needs reach-any unless the runbook declares it; failures do not quote the remote body.
/// </summary>
public sealed partial class EgressTests
{
    private const string SecretValue = "tok-7f3a9c-very-secret";

    private static string Cell(Table table, string step, string column) =>
        table.Rows.First(r => r[0] == step)[table.Columns.ToList().IndexOf(column)];

    [GeneratedRegex(@"^egress:\n(?:[ \t]+.*\n|[ \t]*\n)*", RegexOptions.Multiline)]
    private static partial Regex EgressBlock();

    /// <summary>The node's capstan.yaml with its egress: block replaced (no block at all when nothing is allowed).</summary>
    private static Task<RejectedConfig?> EgressAsync(RunbookNode t, params string[] allow)
    {
        var main = EgressBlock().Replace(t.Node.Config.Current.Files[ConfigLoader.MainFile], "");
        if (allow.Length > 0) main = main.TrimEnd() + "\negress:\n  allow: [" + string.Join(", ", allow.Select(a => $"\"{a}\"")) + "]\n";
        return t.PushAsync(ConfigLoader.MainFile, main);
    }

    private static LocalServer Recording(ConcurrentQueue<LocalRequest> seen, int status = 200, string body = "ok", params (string, string)[] headers) =>
        new((req, s, ct) =>
        {
            seen.Enqueue(req);
            return LocalServer.RespondAsync(s, status, body, "text/plain", headers);
        });

    private static async Task<RunbookNode> WithSecretAsync()
    {
        var t = await RunbookNode.StartAsync();
        await File.WriteAllTextAsync(Path.Combine(t.Root, "secrets.yaml"), $"egress-api-key: {SecretValue}\n");
        return t;
    }

    [Fact]
    public async Task A_secret_goes_only_to_the_destination_its_runbook_binds_it_to_whatever_address_the_caller_types()
    {
        var api = new ConcurrentQueue<LocalRequest>();
        var listener = new ConcurrentQueue<LocalRequest>();
        await using var apiServer = Recording(api);
        await using var attacker = Recording(listener);
        await using var t = await WithSecretAsync();

        // The pattern docs/runbooks.md used to show, a secret header on a URL the caller types, is refused at commit.
        var refused = await t.PushAsync("runbooks/call.yaml", """
            parameters:
              url: { type: url, required: true }
            steps:
              - name: call
                http: { url: "{{ url }}", headers: { Authorization: { secret: egress-api-key } } }
            """);
        Assert.NotNull(refused);
        Assert.Contains(refused!.Errors, e => e.File == "runbooks/call.yaml" && e.Line == 5
            && e.Message.Contains("sends secret 'egress-api-key' to an address decided when the runbook runs", StringComparison.Ordinal)
            && e.Message.Contains("secrets: { egress-api-key: [https://api.example.com] }", StringComparison.Ordinal));

        // Bound to the API's origin, it goes there and nowhere else — even for an admin, who may reach anywhere.
        Assert.Null(await t.PushAsync("runbooks/call.yaml", $$$"""
            parameters:
              url: { type: url, required: true }
            secrets:
              egress-api-key: ["http://127.0.0.1:{{{apiServer.Port}}}"]
            steps:
              - name: call
                http: { url: "{{ url }}", headers: { Authorization: { secret: egress-api-key } } }
            """));
        var (stolen, stolenFinal) = await t.RunJobAsync("alice", $"diag call url={attacker.Url("/collect")}");
        Assert.Equal(JobState.Failed, stolen.Job.State);
        var why = Cell(stolenFinal.Table!, "call", "detail");
        Assert.Contains($"secret 'egress-api-key' may be sent only to http://127.0.0.1:{apiServer.Port}", why);
        Assert.Contains($"would send it to http://127.0.0.1:{attacker.Port}, so nothing was sent", why);
        Assert.Empty(listener);
        Assert.DoesNotContain(t.Events, e => e.Message.Text.Contains(SecretValue, StringComparison.Ordinal) || (e.Message.Table?.Rows.Any(r => r.Any(c => c.Contains(SecretValue, StringComparison.Ordinal))) ?? false));

        var (ok, _) = await t.RunJobAsync("alice", $"diag call url={apiServer.Url("/me")}");
        Assert.Equal(JobState.Succeeded, ok.Job.State);
        Assert.Equal(SecretValue, Assert.Single(api).Headers["Authorization"]);
    }

    [Fact]
    public async Task Secret_and_credential_headers_are_not_sent_along_a_redirect_to_another_origin()
    {
        var landed = new ConcurrentQueue<LocalRequest>();
        await using var other = Recording(landed, 200, "landed");
        var first = new ConcurrentQueue<LocalRequest>();
        await using var api = new LocalServer((req, s, ct) =>
        {
            first.Enqueue(req);
            return LocalServer.RespondAsync(s, 307, "", "text/plain", ("Location", other.Url("/landing")));
        });
        await using var t = await WithSecretAsync();
        Assert.Null(await t.PushAsync("runbooks/hop.yaml", $$"""
            steps:
              - name: call
                http:
                  url: "{{api.Url("/start")}}"
                  headers:
                    X-Api-Key: { secret: egress-api-key }
                    Authorization: "Bearer written-in-the-runbook"
                    Cookie: "session=abc"
                    X-Trace: "kept"
            """));
        var (job, final) = await t.RunJobAsync("carol", "diag hop");
        Assert.Equal(JobState.Succeeded, job.Job.State);
        Assert.Equal(SecretValue, Assert.Single(first).Headers["X-Api-Key"]);
        var there = Assert.Single(landed);
        Assert.Equal("/landing", there.Path);
        Assert.False(there.Headers.ContainsKey("X-Api-Key"), "the secret header followed the redirect to another origin");
        Assert.False(there.Headers.ContainsKey("Authorization"), "Authorization followed the redirect to another origin");
        Assert.False(there.Headers.ContainsKey("Cookie"), "Cookie followed the redirect to another origin");
        Assert.Equal("kept", there.Headers["X-Trace"]);
        Assert.Contains("X-Api-Key, Authorization, Cookie not sent there", Cell(final.Table!, "call", "detail"));
    }

    [Fact]
    public async Task Loopback_private_and_link_local_addresses_are_refused_unless_egress_allows_them()
    {
        var seen = new ConcurrentQueue<LocalRequest>();
        await using var server = Recording(seen);
        await using var t = await RunbookNode.StartAsync();
        Assert.Null(await EgressAsync(t));
        Assert.Null(await t.PushAsync("runbooks/inside.yaml", $$"""
            steps:
              - { name: ip, http: "{{server.Url("/")}}", continueOnError: true }
              - { name: name, http: "http://localhost:{{server.Port}}/", continueOnError: true }
              - { name: mapped, http: "http://[::ffff:127.0.0.1]:{{server.Port}}/", continueOnError: true }
              - { name: metadata, http: "http://169.254.169.254/latest/meta-data/", continueOnError: true }
              - { name: private, http: "http://10.0.0.1/", continueOnError: true }
              - { name: port, tcp: "localhost:{{server.Port}}", continueOnError: true }
              - { name: resolve, dns: localhost, continueOnError: true }
              - name: database
                sql: { driver: postgres, connection: "Host=localhost;Port=1;Username=x;Password=y", query: "SELECT 1" }
                continueOnError: true
            """));
        var (job, final) = await t.RunJobAsync("alice", "diag inside");
        var table = final.Table!;
        foreach (var step in new[] { "ip", "name", "mapped", "metadata", "private", "port", "resolve", "database" })
        {
            Assert.Equal("FAILED", Cell(table, step, "status"));
            Assert.Contains("egress: allow: does not list it", Cell(table, step, "detail"));
        }
        Assert.Contains($"127.0.0.1 is a loopback address", Cell(table, "ip", "detail"));
        Assert.Contains("localhost resolves to", Cell(table, "name", "detail"));
        Assert.Contains("a loopback address", Cell(table, "mapped", "detail"));
        Assert.Contains("169.254.169.254 is a link-local address", Cell(table, "metadata", "detail"));
        Assert.Contains("10.0.0.1 is a private address", Cell(table, "private", "detail"));
        Assert.Empty(seen);

        // Allowed explicitly, the same steps reach it.
        Assert.Null(await EgressAsync(t, "127.0.0.1", "localhost"));
        var (again, againFinal) = await t.RunJobAsync("alice", "diag inside");
        Assert.Equal("ok", Cell(againFinal.Table!, "ip", "status"));
        Assert.Equal("ok", Cell(againFinal.Table!, "name", "status"));
        Assert.Equal("ok", Cell(againFinal.Table!, "port", "status"));
        Assert.Equal("ok", Cell(againFinal.Table!, "resolve", "status"));
        Assert.Contains("10.0.0.1 is a private address", Cell(againFinal.Table!, "private", "detail"));
        Assert.NotEmpty(seen);

        // A typo in egress: is refused with file:line.
        var bad = await EgressAsync(t, "10.0.0.1/8x");
        Assert.NotNull(bad);
        Assert.Contains(bad!.Errors, e => e.File == "capstan.yaml" && e.Message.Contains("'10.0.0.1/8x' is not a network", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_name_the_runbook_declares_is_still_refused_when_it_resolves_to_loopback_and_egress_does_not_allow_that()
    {
        var seen = new ConcurrentQueue<LocalRequest>();
        await using var server = Recording(seen);
        await using var t = await RunbookNode.StartAsync();
        Assert.Null(await EgressAsync(t));
        Assert.Null(await t.PushAsync("runbooks/probe.yaml", """
            parameters:
              url: { type: url, required: true }
            destinations: [localhost]
            steps:
              - { name: call, http: "{{ url }}" }
            """));
        // The name passes the runbook's destinations:, but what it resolves to is checked when connecting.
        var (job, final) = await t.RunJobAsync("carol", $"diag probe url=http://localhost:{server.Port}/");
        Assert.Equal(JobState.Failed, job.Job.State);
        Assert.Contains("localhost resolves to", Cell(final.Table!, "call", "detail"));
        Assert.Contains("a loopback address", Cell(final.Table!, "call", "detail"));
        Assert.Empty(seen);
    }

    [Fact]
    public async Task A_redirect_from_an_allowed_address_to_a_loopback_address_that_is_not_allowed_is_refused()
    {
        var inner = new ConcurrentQueue<LocalRequest>();
        await using var hidden = new LocalServer((req, s, ct) =>
        {
            inner.Enqueue(req);
            return LocalServer.RespondAsync(s, 200, "internal admin page");
        }, IPAddress.Parse("127.0.0.2"));
        await using var allowed = new LocalServer((req, s, ct) => LocalServer.RespondAsync(s, 302, "", "text/plain", ("Location", hidden.Url("/admin"))));
        await using var t = await RunbookNode.StartAsync();
        Assert.Null(await EgressAsync(t, "127.0.0.1"));
        Assert.Null(await t.PushAsync("runbooks/hop.yaml", $$"""
            steps:
              - { name: call, http: "{{allowed.Url("/")}}" }
            """));
        var (job, final) = await t.RunJobAsync("alice", "diag hop");
        Assert.Equal(JobState.Failed, job.Job.State);
        Assert.Contains("127.0.0.2 is a loopback address", Cell(final.Table!, "call", "detail"));
        Assert.Empty(inner);
    }

    [Fact]
    public async Task An_address_typed_in_chat_needs_reach_any_unless_the_runbook_declares_it()
    {
        var declared = new ConcurrentQueue<LocalRequest>();
        var elsewhere = new ConcurrentQueue<LocalRequest>();
        await using var known = Recording(declared);
        await using var other = Recording(elsewhere);
        await using var t = await RunbookNode.StartAsync();
        Assert.Null(await t.PushAsync("runbooks/probe.yaml", $$$"""
            parameters:
              url: { type: url, required: true }
            destinations: ["http://127.0.0.1:{{{known.Port}}}"]
            steps:
              - { name: call, http: "{{ url }}" }
            """));
        var (refused, refusedFinal) = await t.RunJobAsync("carol", $"diag probe url={other.Url("/")}");
        Assert.Equal(JobState.Failed, refused.Job.State);
        var why = Cell(refusedFinal.Table!, "call", "detail");
        Assert.Contains($"would connect to http://127.0.0.1:{other.Port}, an address given when the runbook ran", why);
        Assert.Contains($"only at http://127.0.0.1:{known.Port}", why);
        Assert.Contains("needs permission 'reach-any', which carol does not hold", why);
        Assert.Empty(elsewhere);

        var (mine, _) = await t.RunJobAsync("carol", $"diag probe url={known.Url("/")}");
        Assert.Equal(JobState.Succeeded, mine.Job.State);
        var (admin, _) = await t.RunJobAsync("alice", $"diag probe url={other.Url("/")}"); // admins hold every permission
        Assert.Equal(JobState.Succeeded, admin.Job.State);
        Assert.Single(elsewhere);

        // fetch downloads from an address the caller types: deploy alone is not enough.
        var fetch = await t.SayAsync("bob", $"fetch {other.Url("/file.bin")}");
        Assert.Equal(CommandOutcome.Refused, fetch.Outcome);
        Assert.Contains("needs permission 'reach-any'", fetch.Replies[0].Text);
        Assert.Single(elsewhere);
    }

    [Fact]
    public async Task A_failed_probe_summarises_the_answer_without_quoting_the_remote_body()
    {
        const string body = "<html>Internal error: stack trace at Secret.Internal.Service line 42</html>";
        await using var server = new LocalServer((req, s, ct) => LocalServer.RespondAsync(s, req.Path == "/json" ? 200 : 500, body, "text/html"));
        await using var t = await RunbookNode.StartAsync();
        Assert.Null(await t.PushAsync("runbooks/summary.yaml", $$"""
            steps:
              - { name: status, http: "{{server.Url("/")}}", continueOnError: true }
              - { name: json, http: { url: "{{server.Url("/json")}}", expect: { json: $.state } }, continueOnError: true }
              - { name: text, http: { url: "{{server.Url("/json")}}", expect: { contains: healthy } }, continueOnError: true }
            """));
        var (_, final) = await t.RunJobAsync("alice", "diag summary");
        Assert.Contains($"answered 500 Internal Server Error ({body.Length} bytes of text/html), expected 200", Cell(final.Table!, "status", "detail"));
        Assert.Contains("$.state is not in the response", Cell(final.Table!, "json", "detail"));
        Assert.Contains("does not contain 'healthy'", Cell(final.Table!, "text", "detail"));
        Assert.DoesNotContain(t.Events, e => e.Message.Text.Contains("stack trace", StringComparison.Ordinal)
            || (e.Message.Table?.Rows.Any(r => r.Any(c => c.Contains("stack trace", StringComparison.Ordinal))) ?? false));
    }
}
