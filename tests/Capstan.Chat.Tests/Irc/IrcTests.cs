using System.Text;
using Capstan.Chat.Adapters;
using Capstan.Chat.Irc;
using Capstan.Core.Commands;
using Capstan.Core.Conversation;
using Capstan.Core.Ledger;

namespace Capstan.Chat.Tests.Irc;

/// <summary>Capstan on a real ngIRCd (Debian's package) with people's raw IRC clients: identity, nicks, replies, floods, drops, TLS, invites, NOTICE and CTCP.</summary>
public sealed class IrcTests
{
    /// <summary>Bob is known by his user and host, not his nick (ngIRCd shows users without ident as <c>~bob</c>).</summary>
    internal static string BobByMask(string yaml) => yaml.Replace("handles: { irc: bob }", "handles: { irc: \"bob!*bob@127.0.0.1\" }");

    internal static string Platforms(int port, string extra = "", string rooms = "ops: \"#ops\"") =>
        $"platforms:\n  irc: {{ server: \"127.0.0.1:{port}\", tls: false, nick: capstan, rooms: {{ {rooms} }}{extra} }}";

    internal static async Task<(ChatNode Node, Func<IrcAdapter> Adapter)> StartAsync(string platforms, Func<string, string>? people = null, IrcTimings? timings = null)
    {
        IrcAdapter? made = null;
        var irc = new IrcPlatform(timings) { Created = a => made = a };
        var node = await ChatNode.StartAsync([irc], platforms, people ?? BobByMask);
        await Eventually.TrueAsync(() => node.Host.Statuses.SingleOrDefault()?.State == AdapterState.Connected, "Capstan is connected to IRC", TimeSpan.FromSeconds(30));
        return (node, () => made!);
    }

    private static async Task<IReadOnlyList<LedgerEntry>> Messages(ChatNode node) => await node.LedgerAsync(LedgerKinds.Message);

    [Fact]
    public async Task A_linked_person_matched_by_their_nick_user_host_pattern_is_answered_in_the_channel_and_directly_as_themselves()
    {
        await using var server = await Ngircd.StartAsync();
        await using var bob = await IrcPerson.ConnectAsync(server.Port, "bob", "bob", "#ops");
        var (node, _) = await StartAsync(Platforms(server.Port));
        await using var _ = node;
        await bob.WaitForAsync(m => m.Command == "JOIN" && m.Nick == "capstan", "Capstan joins #ops");
        await bob.SayAsync("#ops", "!whoami");
        await Eventually.TrueAsync(() => bob.HeardFromCapstan("#ops").Any(t => t.StartsWith("You are bob (Bob Builder)", StringComparison.Ordinal)), "Capstan answers bob in #ops as bob");
        await bob.SayAsync("capstan", "whoami");
        await Eventually.TrueAsync(() => bob.HeardFromCapstan("bob").Any(t => t.StartsWith("You are bob", StringComparison.Ordinal)), "Capstan answers bob's direct message directly");
        Assert.All(await Messages(node), m => Assert.Equal("bob", m.Actor));
    }

    [Fact]
    public async Task Someone_who_takes_a_linked_persons_nick_from_another_user_and_host_stays_a_guest()
    {
        await using var server = await Ngircd.StartAsync();
        // Mallory takes the nick bob; "alice" is linked by a bare handle, which is an account name (ngIRCd has none).
        await using var mallory = await IrcPerson.ConnectAsync(server.Port, "bob", "mallory", "#ops");
        await using var alice = await IrcPerson.ConnectAsync(server.Port, "alice", "alice", "#ops");
        var (node, _) = await StartAsync(Platforms(server.Port));
        await using var _ = node;
        await mallory.WaitForAsync(m => m.Command == "JOIN" && m.Nick == "capstan", "Capstan joins #ops");
        await mallory.SayAsync("#ops", "!whoami");
        await Eventually.TrueAsync(() => mallory.HeardFromCapstan("#ops").Any(t => t.Contains("bob!~mallory@127.0.0.1 on irc, not linked", StringComparison.Ordinal)), "Capstan answers the nick bob as a guest");
        await alice.SayAsync("#ops", "!whoami");
        await Eventually.TrueAsync(() => alice.HeardFromCapstan("#ops").Any(t => t.Contains("alice!~alice@127.0.0.1 on irc, not linked", StringComparison.Ordinal)), "a bare nick is not an account: alice is a guest");
        Assert.All(await Messages(node), m => Assert.StartsWith("guest:irc:", m.Actor, StringComparison.Ordinal));
    }

    [Fact]
    public async Task When_its_nick_is_taken_capstan_takes_another_and_answers_to_it()
    {
        await using var server = await Ngircd.StartAsync();
        await using var squatter = await IrcPerson.ConnectAsync(server.Port, "capstan", "squat");
        await using var bob = await IrcPerson.ConnectAsync(server.Port, "bob", "bob", "#ops");
        var (node, adapter) = await StartAsync(Platforms(server.Port));
        await using var _ = node;
        Assert.Equal("capstan_", adapter().Nick);
        Assert.Contains("capstan_", adapter().SelfNames);
        await bob.SayAsync("#ops", "capstan_: whoami");
        await Eventually.TrueAsync(() => bob.Received.Any(m => m.Command == "PRIVMSG" && m.Nick == "capstan_" && m.Param(1).StartsWith("You are bob", StringComparison.Ordinal)), "Capstan answers to capstan_");
        Assert.DoesNotContain(squatter.Received, m => m.Command is "PRIVMSG" or "NOTICE" && m.Nick == "capstan_");
    }

    [Fact]
    public async Task Formatting_characters_and_room_mentions_in_arguments_come_back_as_plain_text()
    {
        await using var server = await Ngircd.StartAsync();
        await using var bob = await IrcPerson.ConnectAsync(server.Port, "bob", "bob", "#ops");
        var (node, _) = await StartAsync(Platforms(server.Port));
        await using var _ = node;
        await bob.WaitForAsync(m => m.Command == "JOIN" && m.Nick == "capstan", "Capstan joins #ops");
        // A mention in an argument is echoed defused; a command with formatting characters is refused in a plain sentence.
        await bob.SayAsync("#ops", "!@here");
        await bob.SayAsync("#ops", "!\u0002bo\u00034,5ld\u001d@channel\u000f\u0016\u001f\u0001VERSION");
        // People's text from the web chat, relayed here, loses its formatting characters and its room-wide mentions.
        var conversation = (Conversation)node.Services.GetService(typeof(Conversation))!;
        await conversation.HandleAsync(new IncomingMessage("capstan", "alice", "ops", "\u0002look\u000f \u00034,5@channel\u0003 \u0001ACTION waves\u0001 \u001d\u0016\u001fdone"), CancellationToken.None);
        await Eventually.TrueAsync(() => bob.HeardFromCapstan("#ops").Count >= 3, "Capstan answers both and relays alice's message");
        var heard = bob.HeardFromCapstan("#ops");
        Assert.Contains(heard, t => t.Contains("'@\u2060here'", StringComparison.Ordinal));
        Assert.Contains(heard, t => t.Contains("control character", StringComparison.Ordinal));
        Assert.Contains("alice (capstan): look @\u2060channel ACTION waves done", heard);
        Assert.All(heard, t => Assert.DoesNotContain(t, c => c < ' '));
    }

    [Fact]
    public async Task A_40_KB_reply_is_split_into_lines_under_512_bytes_on_character_boundaries_and_cut()
    {
        await using var server = await Ngircd.StartAsync();
        await using var bob = await IrcPerson.ConnectAsync(server.Port, "bob", "bob", "#ops");
        var (node, _) = await StartAsync(Platforms(server.Port, ", flood: { burst: 50, perSecond: 100 }"));
        await using var _ = node;
        await bob.WaitForAsync(m => m.Command == "JOIN" && m.Nick == "capstan", "Capstan joins #ops");
        var big = string.Concat(Enumerable.Range(0, 4000).Select(i => $"é{i % 10}😀 word "))[..20_000] + new string('x', 20_000);
        await node.Node.Outbox.PostAsync("ops", null, new Reply(big));
        await Eventually.TrueAsync(() => bob.HeardFromCapstan("#ops").Any(t => t.Contains("(cut:", StringComparison.Ordinal)), "the 40 KB reply arrives, cut");
        var lines = bob.RawLines.Where(l => l.StartsWith(":capstan!", StringComparison.Ordinal) && l.Contains(" PRIVMSG #ops :", StringComparison.Ordinal)).ToList();
        Assert.InRange(lines.Count, 3, 20);
        Assert.All(lines, l => Assert.True(Encoding.UTF8.GetByteCount(l) + 2 <= 512, $"a line of {Encoding.UTF8.GetByteCount(l) + 2} bytes reached bob"));
        Assert.All(lines, l => Assert.DoesNotContain('\uFFFD', l));
        Assert.StartsWith("é0😀 word é1😀", bob.HeardFromCapstan("#ops")[0], StringComparison.Ordinal);
        // Nothing was lost between the lines (a server truncates a line that is too long): what arrived is the reply's start.
        var heard = string.Concat(bob.HeardFromCapstan("#ops").SkipLast(1)).Replace(" ", "", StringComparison.Ordinal);
        Assert.StartsWith(heard, big.Replace(" ", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_flood_beyond_the_rate_is_queued_and_arrives_complete_and_in_order()
    {
        await using var server = await Ngircd.StartAsync();
        await using var bob = await IrcPerson.ConnectAsync(server.Port, "bob", "bob", "#ops");
        var (node, adapter) = await StartAsync(Platforms(server.Port, ", flood: { burst: 2, perSecond: 20 }"));
        await using var _ = node;
        await bob.WaitForAsync(m => m.Command == "JOIN" && m.Nick == "capstan", "Capstan joins #ops");
        var conversation = (Conversation)node.Services.GetService(typeof(Conversation))!;
        for (var i = 1; i <= 30; i++)
            await conversation.HandleAsync(new IncomingMessage("capstan", "alice", "ops", $"m{i:00}"), CancellationToken.None);
        await Eventually.TrueAsync(() => bob.HeardFromCapstan("#ops").Count == 30, "all 30 messages reach bob", TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range(1, 30).Select(i => $"alice (capstan): m{i:00}"), bob.HeardFromCapstan("#ops"));
        Assert.True(adapter().Paced > 0, "lines beyond the burst waited for the flood gate");
    }

    [Fact]
    public async Task A_connection_dropped_mid_reply_reconnects_and_the_reply_arrives_once_for_one_run_of_the_command()
    {
        await using var server = await Ngircd.StartAsync();
        await using var relay = new TcpRelay(server.Port);
        await using var bob = await IrcPerson.ConnectAsync(server.Port, "bob", "bob", "#ops");
        var (node, _) = await StartAsync(Platforms(relay.Port));
        await using var _ = node;
        await bob.WaitForAsync(m => m.Command == "JOIN" && m.Nick == "capstan", "Capstan joins #ops");
        relay.DropOn = line => line.StartsWith("PRIVMSG #ops :You are bob", StringComparison.Ordinal);
        await bob.SayAsync("#ops", "!whoami");
        await Eventually.TrueAsync(() => bob.HeardFromCapstan("#ops").Any(t => t.StartsWith("You are bob", StringComparison.Ordinal)), "the answer arrives after the reconnect", TimeSpan.FromSeconds(30));
        Assert.Equal(1, relay.Drops);
        Assert.True(relay.Connections >= 2, "Capstan reconnected");
        Assert.Single(bob.HeardFromCapstan("#ops"), t => t.StartsWith("You are bob", StringComparison.Ordinal));
        Assert.Single(await node.LedgerAsync(LedgerKinds.Command));
        Assert.True(node.Host.Statuses.Single().Reconnects >= 1);
    }

    private static string Tls(Ngircd server, string extra) =>
        $"platforms:\n  irc: {{ server: \"127.0.0.1:{server.TlsPort}\", tls: true{extra}, nick: capstan, rooms: {{ ops: \"#ops\" }} }}";

    [Fact]
    public async Task Over_TLS_a_certificate_from_the_configured_CA_connects()
    {
        await using var server = await Ngircd.StartAsync();
        var (node, _) = await StartAsync(Tls(server, $", caFile: {server.CertFile}"));
        await using var _ = node;
        Assert.Contains("over TLS", node.Host.Statuses.Single().Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Over_TLS_an_unknown_certificate_is_refused_unless_verification_is_turned_off()
    {
        await using var server = await Ngircd.StartAsync();
        await using (var node = await ChatNode.StartAsync([new IrcPlatform()], Tls(server, ""), BobByMask))
        {
            await Eventually.TrueAsync(() => node.Host.Statuses.SingleOrDefault()?.LastError?.Contains("certificate Capstan trusts", StringComparison.Ordinal) == true, "the self-signed certificate is refused by default");
            Assert.NotEqual(AdapterState.Connected, node.Host.Statuses.Single().State);
        }
        var (unverified, _) = await StartAsync(Tls(server, ", tlsVerify: false"));
        await unverified.DisposeAsync();
    }

    [Fact]
    public async Task Invites_to_mapped_channels_are_accepted_and_invites_elsewhere_are_declined()
    {
        await using var server = await Ngircd.StartAsync();
        await using var bob = await IrcPerson.ConnectAsync(server.Port, "bob", "bob", "#ops", "#dev", "#secret");
        await bob.SendAsync("MODE #dev +i");
        await bob.WaitForAsync(m => m.Command == "MODE" && m.Param(0) == "#dev", "#dev is invite-only");
        var (node, _) = await StartAsync(Platforms(server.Port, rooms: "ops: \"#ops\", dev: \"#dev\""));
        await using var _ = node;
        await bob.WaitForAsync(m => m.Command == "JOIN" && m.Nick == "capstan" && m.Param(0) == "#ops", "Capstan joins #ops");
        Assert.DoesNotContain(bob.Received, m => m.Command == "JOIN" && m.Nick == "capstan" && m.Param(0) == "#dev");
        await bob.SendAsync("INVITE capstan #secret");
        await bob.SendAsync("INVITE capstan #dev");
        await bob.WaitForAsync(m => m.Command == "JOIN" && m.Nick == "capstan" && m.Param(0) == "#dev", "Capstan joins the mapped #dev when invited");
        Assert.DoesNotContain(bob.Received, m => m.Command == "JOIN" && m.Nick == "capstan" && m.Param(0) == "#secret");
    }

    [Fact]
    public async Task Notices_and_CTCP_requests_are_never_answered()
    {
        await using var server = await Ngircd.StartAsync();
        await using var bob = await IrcPerson.ConnectAsync(server.Port, "bob", "bob", "#ops");
        var (node, _) = await StartAsync(Platforms(server.Port));
        await using var _ = node;
        await bob.WaitForAsync(m => m.Command == "JOIN" && m.Nick == "capstan", "Capstan joins #ops");
        await bob.SendAsync("NOTICE #ops :!whoami");
        await bob.SendAsync("NOTICE capstan :whoami");
        await bob.SayAsync("#ops", "\u0001VERSION\u0001");
        await bob.SayAsync("capstan", "\u0001PING 12345\u0001");
        await bob.SayAsync("capstan", "\u0001ACTION whoami\u0001");
        await bob.SayAsync("#ops", "!whoami");
        await Eventually.TrueAsync(() => bob.HeardFromCapstan().Count > 0, "the PRIVMSG command is answered");
        Assert.StartsWith("You are bob", bob.HeardFromCapstan()[0], StringComparison.Ordinal);
        Assert.Single(bob.HeardFromCapstan(), t => t.StartsWith("You are", StringComparison.Ordinal));
        Assert.DoesNotContain(bob.Received, m => m.Command == "NOTICE" && (m.Nick ?? "").StartsWith("capstan", StringComparison.Ordinal));
        Assert.Single(await Messages(node));
    }
}
