using System.Security.Cryptography;
using Capstan.Chat.Adapters;
using Capstan.Chat.Xmpp;
using Capstan.Core.Commands;
using Capstan.Core.Ledger;

namespace Capstan.Chat.Tests.Xmpp;

/// <summary>Capstan on XMPP against a real Prosody, with people's own XMPP clients in a room and in direct messages.</summary>
public sealed class XmppTests
{
    internal const string Ops = "ops@" + ProsodyServer.Rooms;
    private const string Bob = "bob@" + ProsodyServer.Domain;
    internal const string CapstanInOps = Ops + "/capstan";

    private static string BobOnXmpp(string yaml) => yaml.Replace("handles: { irc: bob }", $"handles: {{ irc: bob, xmpp: {Bob} }}");

    internal static async Task<ChatNode> StartCapstanAsync(ProsodyServer server, int? port = null, string password = ProsodyServer.CapstanPassword)
    {
        var root = Path.Combine(Path.GetTempPath(), "capstan-chat-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(root);
        await File.WriteAllTextAsync(Path.Combine(root, "secrets.yaml"), $"xmpp: \"{password}\"\n");
        return await ChatNode.StartAsync([new XmppPlatform()], $$"""
            platforms:
              xmpp: { jid: capstan@{{ProsodyServer.Domain}}, password: { secret: xmpp }, server: "127.0.0.1:{{port ?? server.Port}}", caFile: "{{server.CaFile}}", rooms: { ops: {{Ops}} } }
            """, BobOnXmpp, root: root);
    }

    internal static AdapterStatus? Status(ChatNode node) => node.Host.Statuses.SingleOrDefault();

    internal static Task ConnectedAsync(ChatNode node) =>
        Eventually.TrueAsync(() => Status(node)?.State == AdapterState.Connected, "Capstan is signed in and in its rooms", TimeSpan.FromSeconds(30));

    internal static async Task<XmppPerson> InOpsAsync(ProsodyServer server, string user)
    {
        var person = await XmppPerson.ConnectAsync(server, user);
        await person.JoinAsync("ops", user);
        return person;
    }

    [Fact]
    public async Task A_linked_person_is_answered_in_the_room_and_directly_as_themselves_and_an_unlinked_one_is_a_guest()
    {
        await using var server = await ProsodyServer.StartAsync();
        await using var node = await StartCapstanAsync(server);
        await ConnectedAsync(node);
        await using var bob = await InOpsAsync(server, "bob");
        await using var mallory = await InOpsAsync(server, "mallory");
        await Eventually.TrueAsync(() => mallory.Received.IsEmpty, "joined");
        await bob.SayAsync(Ops, "capstan: whoami");
        await Eventually.TrueAsync(() => bob.BodiesFrom(CapstanInOps).Any(b => b.Contains("bob", StringComparison.Ordinal)), "Capstan answers bob in #ops");
        await bob.SayAsync("capstan@" + ProsodyServer.Domain, "whoami", room: false);
        await Eventually.TrueAsync(() => bob.Received.Any(r => r.Type == "chat" && r.From.StartsWith("capstan@" + ProsodyServer.Domain, StringComparison.Ordinal) && r.Body.Contains("bob", StringComparison.Ordinal)),
            "Capstan answers bob's direct message directly");
        await mallory.SayAsync(Ops, "!history");
        await Eventually.TrueAsync(() => mallory.BodiesFrom(CapstanInOps).Any(b => b.Contains("not linked", StringComparison.Ordinal)), "mallory is answered as a guest");
        var actors = (await node.LedgerAsync(LedgerKinds.Message)).Select(m => m.Actor).ToList();
        Assert.Equal(2, actors.Count(a => a == "bob"));
        Assert.Contains($"guest:xmpp:{mallory.Jid.Split('/')[0]}", actors);
        // Capstan's own answers come back from the room (the room's echo) and are never taken as messages.
        Assert.Equal(3, actors.Count);
    }

    [Fact]
    public async Task A_dropped_connection_mid_reply_reconnects_answers_nothing_twice_and_does_not_answer_the_room_history_again()
    {
        await using var server = await ProsodyServer.StartAsync();
        await using var cutter = new TcpCutter(server.Port);
        // Said before Capstan was in the room: it is the room's history, never answered.
        await using var bob = await InOpsAsync(server, "bob");
        await bob.SayAsync(Ops, "capstan: whoami (before Capstan joined)");
        await Eventually.TrueAsync(() => bob.BodiesFrom(Ops + "/bob").Any(), "the room took bob's early message");
        await using var node = await StartCapstanAsync(server, cutter.Port);
        await ConnectedAsync(node);
        await bob.SayAsync(Ops, "!whoami");
        await Eventually.TrueAsync(() => bob.BodiesFrom(CapstanInOps).Any(), "the first answer arrives");
        await bob.SayAsync(Ops, "!help " + string.Concat(Enumerable.Range(0, 2000).Select(i => $"w{i:0000}")));
        await Eventually.TrueAsync(() => bob.BodiesFrom(CapstanInOps).Count() >= 2, "the long reply starts");
        cutter.Cut();
        await Eventually.TrueAsync(() => Status(node) is { Reconnects: >= 1, State: AdapterState.Connected }, "Capstan reconnects", TimeSpan.FromSeconds(30));
        await bob.SayAsync(Ops, "capstan: whoami");
        await Eventually.TrueAsync(() => bob.BodiesFrom(CapstanInOps).Count(b => b.Contains("bob", StringComparison.Ordinal)) >= 2, "the command after the reconnect is answered");
        Assert.Equal(3, (await node.LedgerAsync(LedgerKinds.Message)).Count);
        var answers = bob.BodiesFrom(CapstanInOps).ToList();
        Assert.Equal(2, answers.Count(b => b.Contains("bob", StringComparison.Ordinal)));
        Assert.All(answers.Where(b => b.Contains("w0", StringComparison.Ordinal)).GroupBy(b => b, StringComparer.Ordinal), part => Assert.Single(part));
    }

    [Fact]
    public async Task A_40_KB_reply_is_split_and_cut_and_markup_and_room_mentions_in_arguments_stay_inert()
    {
        await using var server = await ProsodyServer.StartAsync();
        await using var node = await StartCapstanAsync(server);
        await ConnectedAsync(node);
        await using var bob = await InOpsAsync(server, "bob");
        node.Node.Registry.Add(new CommandSpec("buildlog", "Basics", "Show a build log").Example("buildlog")
            .Runs(_ => Task.FromResult(CommandResult.Ok(string.Concat(Enumerable.Range(0, 1600).Select(i => $"line {i:0000} of the build log\n"))))));
        await bob.SayAsync(Ops, "!buildlog");
        await Eventually.TrueAsync(() => bob.BodiesFrom(CapstanInOps).Any(b => b.Contains("cut", StringComparison.Ordinal)), "the reply ends with the cut note: " + string.Join(" | ", bob.Received.Select(r => r.From + ": " + r.Body[..Math.Min(200, r.Body.Length)])));
        var parts = bob.BodiesFrom(CapstanInOps).ToList();
        Assert.InRange(parts.Count, 2, 5);
        Assert.All(parts, p => Assert.True(p.Length <= 4000, "a part is longer than an XMPP message should be"));
        await bob.SayAsync(Ops, "!help @room <b>x</b><html xmlns='http://jabber.org/protocol/xhtml-im'/> @all");
        await Eventually.TrueAsync(() => bob.BodiesFrom(CapstanInOps).Any(b => b.Contains("<b>x</b>", StringComparison.Ordinal)), "the argument is echoed as text");
        var echo = bob.Received.Last(r => r.From == CapstanInOps && r.Body.Contains("<b>x</b>", StringComparison.Ordinal));
        Assert.Contains("@\u2060room", echo.Body, StringComparison.Ordinal);
        Assert.Contains("@\u2060all", echo.Body, StringComparison.Ordinal);
        Assert.Single(echo.Stanza.Elements(), e => e.Name.LocalName == "body");
        Assert.DoesNotContain(echo.Stanza.Elements(), e => e.Name.LocalName == "html");
    }

    [Fact]
    public async Task A_wrong_password_is_a_clear_error_in_the_adapter_status_and_Capstan_keeps_retrying_with_backoff()
    {
        await using var server = await ProsodyServer.StartAsync();
        await using var node = await StartCapstanAsync(server, password: "not-the-password");
        await Eventually.TrueAsync(() => Status(node)?.Reconnects >= 2, "Capstan retried", TimeSpan.FromSeconds(30));
        var status = Status(node)!;
        Assert.NotEqual(AdapterState.Connected, status.State);
        Assert.Contains("refused the password for capstan@example.test", status.LastError, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", status.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_flood_beyond_the_servers_rate_is_answered_in_order_with_nothing_lost()
    {
        await using var server = await ProsodyServer.StartAsync(rate: "2kb/s");
        await using var node = await StartCapstanAsync(server);
        await ConnectedAsync(node);
        await using var bob = await InOpsAsync(server, "bob");
        await Eventually.TrueAsync(() => Status(node)?.State == AdapterState.Connected, "connected");
        for (var i = 0; i < 25; i++) await bob.SayAsync(Ops, $"!help flood-{i:00}");
        await Eventually.TrueAsync(() => bob.BodiesFrom(CapstanInOps).Count(b => b.Contains("flood-", StringComparison.Ordinal)) == 25, "every flood message is answered", TimeSpan.FromSeconds(60));
        var order = bob.BodiesFrom(CapstanInOps).Where(b => b.Contains("flood-", StringComparison.Ordinal))
            .Select(b => b[(b.IndexOf("flood-", StringComparison.Ordinal) + 6)..][..2]).ToList();
        Assert.Equal(Enumerable.Range(0, 25).Select(i => i.ToString("00", System.Globalization.CultureInfo.InvariantCulture)), order);
    }

    [Fact]
    public void Scram_sha1_matches_the_worked_example_of_RFC_5802_and_checks_the_servers_signature()
    {
        var scram = new Scram(HashAlgorithmName.SHA1, "user", "pencil", "fyko+d2lbbFgONRv9qkxdawL");
        Assert.Equal("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL", scram.ClientFirst());
        Assert.Equal("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
            scram.ClientFinal("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"));
        Assert.True(scram.ServerIsGenuine("v=rmF9pqV8S7suAoZWja4dJRkFsKQ="));
        Assert.False(scram.ServerIsGenuine("v=AAAAAAAAAAAAAAAAAAAAAAAAAAA="));
    }

    [Fact]
    public void Text_that_XML_cannot_carry_is_removed_and_room_mentions_are_defused()
    {
        var markup = new XmppMarkup();
        Assert.Equal("ab\u2060c @\u2060here 😀", markup.Escape("a\0b\u0001\u2060c\uFFFE @here 😀\uD800"));
    }
}
