using System.Collections.Concurrent;
using System.Xml.Linq;
using Capstan.Chat.Adapters;
using Capstan.Chat.Text;
using Capstan.Core.Conversation;
using Capstan.Core.Secrets;
using Microsoft.Extensions.Logging;

namespace Capstan.Chat.Xmpp;

/// <summary>
/// Capstan on XMPP: one client stream; joins each room (XEP-0045) without its history, answers room messages and direct
/// messages (type chat), pings the server every minute and ends the session when it stops answering. Identity is the
/// sender's bare address — in a room only when the room reveals occupants' real addresses; otherwise the occupant is a guest.
/// </summary>
public sealed class XmppAdapter(XmppSettings settings, SecretStore secrets) : IChatAdapter
{
    private static readonly XNamespace Muc = "http://jabber.org/protocol/muc";
    private static readonly XNamespace MucUser = "http://jabber.org/protocol/muc#user";
    private static readonly XNamespace Sid = "urn:xmpp:sid:0";
    private static readonly XNamespace Delay = "urn:xmpp:delay";
    private static readonly XNamespace Ping = "urn:xmpp:ping";
    private static readonly XNamespace C = XmppStream.Client;

    /// <summary>How often the server is pinged; a session that heard nothing for <see cref="DeadAfter"/> is ended and reconnected.</summary>
    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromSeconds(60);
    public TimeSpan DeadAfter => KeepAlive * 2.5;

    private volatile XmppStream? _stream;
    private readonly ConcurrentDictionary<string, string> _nicks = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, string> _realJids = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _sentIds = new(StringComparer.Ordinal);

    public string Platform => "xmpp";
    public ChatMarkup Markup { get; } = new XmppMarkup();

    /// <summary>
    /// XMPP cannot edit in general: last message correction (XEP-0308) is shown by some clients and silently ignored by
    /// others, which would leave people with a stale first line. Progress is posted as new, paced messages instead.
    /// </summary>
    public EditLimit Edits => EditLimit.Reposts(TimeSpan.FromSeconds(15));

    public IReadOnlyList<string> SelfNames => [settings.Nickname, .. _nicks.Values.Distinct(StringComparer.Ordinal)];

    public async Task RunAsync(AdapterSession session, CancellationToken ct)
    {
        var (password, problem) = secrets.Find(settings.Password.Name);
        if (password is null) throw new InvalidOperationException("XMPP cannot sign in: " + problem);
        using var alive = CancellationTokenSource.CreateLinkedTokenSource(ct);
        await using var stream = await XmppStream.OpenAsync(new XmppLogin(settings.Jid, password, settings.Host, settings.Port, settings.CaFile, "capstan"), alive.Token);
        _nicks.Clear();
        _realJids.Clear();
        _announced = false;
        var heard = session.Clock.GetUtcNow();
        await stream.SendAsync(new XElement(C + "presence"), ct);
        var joining = settings.Rooms.Values.Select(Jids.Bare).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var room in joining) await JoinAsync(stream, room, settings.Nickname, ct);
        _stream = stream;
        if (joining.Count == 0) { _announced = true; session.Connected(stream.FullJid); }
        var keepAlive = KeepAliveAsync(stream, session, () => heard, alive);
        try
        {
            while (true)
            {
                XElement? stanza;
                try { stanza = await stream.ReadAsync(alive.Token); }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    throw new TimeoutException($"The XMPP server sent nothing for {DeadAfter.TotalSeconds:0} s, not even an answer to a ping; the connection is considered dead.");
                }
                if (stanza is null) throw new IOException("The XMPP server closed the stream.");
                heard = session.Clock.GetUtcNow();
                if (stanza.Name == C + "presence") await OnPresenceAsync(stream, stanza, joining, session, ct);
                else if (stanza.Name == C + "message") await OnMessageAsync(stanza, stream, session, ct);
                else if (stanza.Name == C + "iq") await OnIqAsync(stream, stanza, ct);
            }
        }
        finally
        {
            _stream = null;
            await alive.CancelAsync();
            try { await keepAlive; }
            catch (OperationCanceledException) { /* ended with the session, as intended */ }
        }
    }

    private static Task JoinAsync(XmppStream stream, string room, string nick, CancellationToken ct) =>
        // maxstanzas=0: the room sends none of its history, so messages answered before a reconnect are not seen again.
        stream.SendAsync(new XElement(C + "presence", new XAttribute("to", room + "/" + nick),
            new XElement(Muc + "x", new XElement(Muc + "history", new XAttribute("maxstanzas", "0")))), ct);

    private async Task KeepAliveAsync(XmppStream stream, AdapterSession session, Func<DateTimeOffset> heard, CancellationTokenSource alive)
    {
        var n = 0;
        while (!alive.IsCancellationRequested)
        {
            await Task.Delay(KeepAlive, session.Clock, alive.Token);
            if (session.Clock.GetUtcNow() - heard() > DeadAfter) { await alive.CancelAsync(); return; }
            await stream.SendAsync(new XElement(C + "iq", new XAttribute("type", "get"), new XAttribute("to", stream.Domain),
                new XAttribute("id", "ping-" + ++n), new XElement(Ping + "ping")), alive.Token);
        }
    }

    private async Task OnPresenceAsync(XmppStream stream, XElement presence, HashSet<string> joining, AdapterSession session, CancellationToken ct)
    {
        var from = (string?)presence.Attribute("from") ?? "";
        var room = Jids.Bare(from);
        var nick = Jids.Resource(from);
        if (nick is null || !joining.Contains(room) && !_nicks.ContainsKey(room)) return;
        var type = (string?)presence.Attribute("type");
        if (type == "error")
        {
            if (Jids.ErrorCondition(presence) == "conflict" && nick.Length < settings.Nickname.Length + 3)
            {
                await JoinAsync(stream, room, nick + "_", ct);
                return;
            }
            session.Log.LogWarning("Capstan could not join the XMPP room {Room}: {Condition}", room, Jids.ErrorCondition(presence));
            joining.Remove(room);
        }
        else
        {
            var x = presence.Element(MucUser + "x");
            var isSelf = x?.Elements(MucUser + "status").Any(s => (string?)s.Attribute("code") == "110") == true;
            if (isSelf && type != "unavailable")
            {
                _nicks[room] = nick;
                joining.Remove(room);
            }
            else if (type == "unavailable") _realJids.TryRemove(from, out _);
            else if (x?.Element(MucUser + "item")?.Attribute("jid")?.Value is { } real) _realJids[from] = Jids.Bare(real);
        }
        if (joining.Count == 0 && !_announced)
        {
            _announced = true;
            session.Connected($"{stream.FullJid} in {_nicks.Count} room(s)");
        }
    }

    /// <summary>Whether this session said it can send (once every room answered its join); sessions never overlap.</summary>
    private bool _announced;

    private async Task OnMessageAsync(XElement message, XmppStream stream, AdapterSession session, CancellationToken ct)
    {
        var type = (string?)message.Attribute("type") ?? "normal";
        var body = message.Element(C + "body")?.Value;
        // Errors are never answered (two bots could bounce them forever); history and subjects are not commands.
        if (type is "error" or "headline" || string.IsNullOrWhiteSpace(body) || message.Element(Delay + "delay") is not null) return;
        var from = (string?)message.Attribute("from") ?? "";
        var bare = Jids.Bare(from);
        var resource = Jids.Resource(from);
        var originId = (string?)message.Element(Sid + "origin-id")?.Attribute("id");
        if (originId is not null && _sentIds.ContainsKey(originId)) return;
        if (type == "groupchat")
        {
            if (resource is null || (_nicks.TryGetValue(bare, out var mine) && mine == resource)) return; // the room's echo of Capstan, or the room itself
            var sender = Occupant(from);
            if (sender.Handle == settings.Jid) return;
            await session.ReceiveAsync(new ChatInbound(DeliveryId(message, bare, from, originId), bare, false, sender, body, MessageRef(message, bare)), ct);
        }
        else if (_nicks.ContainsKey(bare))
        {
            // A private message from a room occupant: answered to that occupant, as the person the room says they are.
            if (resource is null || _nicks[bare] == resource) return;
            await session.ReceiveAsync(new ChatInbound(DeliveryId(message, settings.Jid, from, originId), from, true, Occupant(from), body, MessageRef(message, settings.Jid)), ct);
        }
        else
        {
            if (bare == settings.Jid || bare.IndexOf('@') < 0) return; // another session of Capstan's own account, or a server notice
            var sender = new ChatSender(bare, bare);
            await session.ReceiveAsync(new ChatInbound(DeliveryId(message, settings.Jid, from, originId), bare, true, sender, body, MessageRef(message, settings.Jid)), ct);
        }
    }

    /// <summary>A room occupant: their bare address when the room reveals it (non-anonymous room), otherwise a guest who matches no configured handle.</summary>
    private ChatSender Occupant(string occupant) =>
        _realJids.TryGetValue(occupant, out var real)
            ? new ChatSender(real, Jids.Resource(occupant) ?? real)
            : new ChatSender(occupant, Jids.Resource(occupant) ?? occupant, Matches: _ => false);

    /// <summary>
    /// The stanza id the room or Capstan's server stamped (XEP-0359, trusted only from that stamper), else the sender's
    /// origin-id or message id scoped to the sender, else a fresh id (such a message cannot be recognised if sent again).
    /// </summary>
    private static string DeliveryId(XElement message, string stamper, string from, string? originId)
    {
        var stamped = message.Elements(Sid + "stanza-id").FirstOrDefault(s => string.Equals((string?)s.Attribute("by"), stamper, StringComparison.OrdinalIgnoreCase));
        if ((string?)stamped?.Attribute("id") is { Length: > 0 } sid) return $"sid:{stamper}:{sid}";
        if (originId is { Length: > 0 }) return $"origin:{from}:{originId}";
        if ((string?)message.Attribute("id") is { Length: > 0 } id) return $"id:{from}:{id}";
        return "local:" + Guid.NewGuid().ToString("N");
    }

    private static string MessageRef(XElement message, string stamper) =>
        (string?)message.Elements(Sid + "stanza-id").FirstOrDefault(s => string.Equals((string?)s.Attribute("by"), stamper, StringComparison.OrdinalIgnoreCase))?.Attribute("id")
        ?? (string?)message.Attribute("id") ?? "";

    private static Task OnIqAsync(XmppStream stream, XElement iq, CancellationToken ct)
    {
        var type = (string?)iq.Attribute("type");
        if (type is not ("get" or "set")) return Task.CompletedTask;
        var from = (string?)iq.Attribute("from");
        var answer = new XElement(C + "iq", new XAttribute("id", (string?)iq.Attribute("id") ?? ""), from is null ? null : new XAttribute("to", from));
        // Pings are answered; every other request gets the error RFC 6120 requires for what a client does not support.
        if (iq.Element(Ping + "ping") is not null) answer.Add(new XAttribute("type", "result"));
        else answer.Add(new XAttribute("type", "error"), new XElement(C + "error", new XAttribute("type", "cancel"), new XElement(XName.Get("service-unavailable", "urn:ietf:params:xml:ns:xmpp-stanzas"))));
        return stream.SendAsync(answer, ct);
    }

    public async Task<string> PostAsync(ChatDestination to, string text, CancellationToken ct)
    {
        var stream = _stream ?? throw new IOException("XMPP is not connected; the message waits for the next session.");
        var id = Guid.NewGuid().ToString("N");
        var room = !to.Direct || _nicks.ContainsKey(Jids.Bare(to.Channel)) && Jids.Resource(to.Channel) is null;
        _sentIds[id] = 0;
        if (_sentIds.Count > 10_000) foreach (var old in _sentIds.Keys.Take(5_000)) _sentIds.TryRemove(old, out _);
        await stream.SendAsync(new XElement(C + "message",
            new XAttribute("to", to.Channel), new XAttribute("type", room ? "groupchat" : "chat"), new XAttribute("id", id),
            new XElement(C + "body", XmppMarkup.XmlSafe(text)),
            new XElement(Sid + "origin-id", new XAttribute("id", id))), ct);
        return id;
    }

    public Task EditAsync(ChatDestination to, string messageRef, string text, CancellationToken ct) =>
        throw new NotSupportedException("XMPP messages are not edited in place (Edits.InPlace is false).");

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
