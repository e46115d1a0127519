using Capstan.Chat.Adapters;
using Capstan.Chat.Irc;
using Capstan.Core.Ledger;

namespace Capstan.Chat.Tests.Irc;

/// <summary>What ngIRCd cannot show (it has no SASL or accounts), against a small IRC server in the tests: SASL PLAIN, account tags, a silent server.</summary>
public sealed class IrcSaslTests
{
    private static string Sasl(int port, string secret) =>
        $"platforms:\n  irc: {{ server: \"127.0.0.1:{port}\", tls: false, nick: capstan, sasl: {{ user: capstan, password: {{ secret: {secret} }} }}, rooms: {{ ops: \"#ops\" }} }}";

    /// <summary>A secret only this test sets (the environment is shared by the tests in this process).</summary>
    private static string Secret(string value)
    {
        var name = "irc-test-" + Guid.NewGuid().ToString("N")[..8];
        Environment.SetEnvironmentVariable(Core.Secrets.SecretStore.VariableName(name), value);
        return name;
    }

    [Fact]
    public async Task With_SASL_capstan_logs_in_and_a_person_is_known_by_their_account_never_by_their_nick()
    {
        await using var server = new SaslIrcServer("capstan", "s3cret-pass");
        var (node, _) = await IrcTests.StartAsync(Sasl(server.Port, Secret("s3cret-pass")), people: y => y);
        await using var _ = node;
        Assert.Equal("capstan", server.LoggedInAs);
        Assert.Contains("(account capstan)", node.Host.Statuses.Single().Detail, StringComparison.Ordinal);
        Assert.Contains("CAP REQ :sasl account-tag account-notify extended-join", server.Received);

        // bob's handle is `irc: bob`: an account. Bob is bob from any host under any nick; the nick bob without the account is a guest.
        await server.SendAsync("@account=bob :robert!~rob@laptop.example PRIVMSG #ops :!whoami");
        await Eventually.TrueAsync(() => server.Answers("#ops").Count == 1, "Capstan answers the account bob");
        await server.SendAsync(":bob!~bob@elsewhere.example PRIVMSG #ops :!whoami");
        await Eventually.TrueAsync(() => server.Answers("#ops").Count == 2, "Capstan answers the bare nick bob");
        await server.SendAsync("@account=mallory :bob!~bob@elsewhere.example PRIVMSG #ops :!whoami");
        await Eventually.TrueAsync(() => server.Answers("#ops").Count == 3, "Capstan answers mallory using the nick bob");
        var said = server.Answers("#ops");
        Assert.StartsWith("You are bob (Bob Builder)", said[0], StringComparison.Ordinal);
        Assert.StartsWith("You are bob!~bob@elsewhere.example on irc, not linked", said[1], StringComparison.Ordinal);
        Assert.StartsWith("You are mallory on irc, not linked", said[2], StringComparison.Ordinal);
        Assert.Equal(["bob", "guest:irc:bob!~bob@elsewhere.example", "guest:irc:mallory"], (await node.LedgerAsync(LedgerKinds.Message)).OrderBy(e => e.Seq).Select(e => e.Actor));
    }

    [Fact]
    public async Task An_account_learned_from_extended_join_and_account_notify_identifies_a_person_on_a_server_without_account_tags()
    {
        await using var server = new SaslIrcServer("capstan", "pw", caps: "sasl extended-join account-notify");
        var (node, _) = await IrcTests.StartAsync(Sasl(server.Port, Secret("pw")), people: y => y);
        await using var _ = node;
        await server.SendAsync(":bob!~bob@home.example JOIN #ops bob :Bob");
        await server.SendAsync(":bob!~bob@home.example PRIVMSG #ops :!whoami");
        await Eventually.TrueAsync(() => server.Answers("#ops").Count == 1, "Capstan answers bob");
        await server.SendAsync(":bob!~bob@home.example ACCOUNT *");
        await server.SendAsync(":bob!~bob@home.example PRIVMSG #ops :!whoami");
        await Eventually.TrueAsync(() => server.Answers("#ops").Count == 2, "Capstan answers bob after he logged out");
        Assert.StartsWith("You are bob (Bob Builder)", server.Answers("#ops")[0], StringComparison.Ordinal);
        Assert.Contains("not linked", server.Answers("#ops")[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_SASL_login_ends_the_session_with_a_sentence_and_joins_nothing()
    {
        await using var server = new SaslIrcServer("capstan", "right");
        var irc = new IrcPlatform();
        await using var node = await ChatNode.StartAsync([irc], Sasl(server.Port, Secret("wrong")));
        await Eventually.TrueAsync(() => node.Host.Statuses.SingleOrDefault()?.LastError?.Contains("refused Capstan's SASL login as 'capstan'", StringComparison.Ordinal) == true, "the refusal is reported");
        Assert.DoesNotContain(server.Received, l => l.StartsWith("JOIN", StringComparison.Ordinal));
        Assert.DoesNotContain("wrong", node.Host.Statuses.Single().LastError!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_goes_silent_is_pinged_then_left_and_capstan_reconnects()
    {
        await using var server = new SaslIrcServer("capstan", "pw");
        var timings = new IrcTimings(TimeSpan.FromMilliseconds(300), TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(5));
        var (node, _) = await IrcTests.StartAsync(Sasl(server.Port, Secret("pw")), people: y => y, timings: timings);
        await using var _ = node;
        server.Silent = true;
        await Eventually.TrueAsync(() => server.Sessions >= 2, "Capstan gives up on the silent session and connects again");
        Assert.Contains("PING :capstan-alive", server.Received);
        Assert.Contains("not even an answer to PING", node.Host.Statuses.Single().LastError, StringComparison.Ordinal);
    }
}
