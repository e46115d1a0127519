using System.Collections.Concurrent;
using System.Xml.Linq;
using Capstan.Chat.Xmpp;

namespace Capstan.Chat.Tests.Xmpp;

/// <summary>A person's XMPP client (the same stream class Capstan uses): joins rooms, says things, and keeps what arrives.</summary>
public sealed class XmppPerson : IAsyncDisposable
{
    private static readonly XNamespace C = XmppStream.Client;
    private readonly XmppStream _stream;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reading;

    /// <summary>Message bodies received: (from, type, body).</summary>
    public ConcurrentQueue<(string From, string Type, string Body, XElement Stanza)> Received { get; } = new();

    /// <summary>Raised for each message with a body as it arrives (from, body).</summary>
    public event Action<string, string>? Arrived;

    private XmppPerson(XmppStream stream)
    {
        _stream = stream;
        _reading = ReadAsync();
    }

    public static async Task<XmppPerson> ConnectAsync(ProsodyServer server, string user, string? password = null)
    {
        var stream = await XmppStream.OpenAsync(new XmppLogin($"{user}@{ProsodyServer.Domain}", password ?? user + "-pw", "127.0.0.1", server.Port, server.CaFile, "laptop"), CancellationToken.None);
        await stream.SendAsync(new XElement(C + "presence"), CancellationToken.None);
        return new XmppPerson(stream);
    }

    public string Jid => _stream.FullJid;

    public Task JoinAsync(string room, string nick) =>
        _stream.SendAsync(new XElement(C + "presence", new XAttribute("to", $"{room}@{ProsodyServer.Rooms}/{nick}"),
            new XElement(XName.Get("x", "http://jabber.org/protocol/muc"))), CancellationToken.None);

    /// <summary>Says something in a room (groupchat) or to an address (chat), with an origin-id as modern clients send.</summary>
    public Task SayAsync(string to, string text, bool room = true, string? id = null)
    {
        id ??= Guid.NewGuid().ToString("N");
        return _stream.SendAsync(new XElement(C + "message", new XAttribute("to", to), new XAttribute("type", room ? "groupchat" : "chat"), new XAttribute("id", id),
            new XElement(C + "body", text), new XElement(XName.Get("origin-id", "urn:xmpp:sid:0"), new XAttribute("id", id))), CancellationToken.None);
    }

    public IEnumerable<string> BodiesFrom(string fromPrefix) => Received.Where(r => r.From.StartsWith(fromPrefix, StringComparison.OrdinalIgnoreCase)).Select(r => r.Body);

    private async Task ReadAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            XElement? s;
            try { s = await _stream.ReadAsync(_stop.Token); }
            catch (OperationCanceledException) { return; }
            catch (IOException) { return; }
            if (s is null) return;
            if (s.Name == C + "message" && s.Element(C + "body") is { } body)
            {
                Received.Enqueue(((string?)s.Attribute("from") ?? "", (string?)s.Attribute("type") ?? "normal", body.Value, s));
                Arrived?.Invoke((string?)s.Attribute("from") ?? "", body.Value);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _reading; }
        catch (ObjectDisposedException) { /* the stream closed under the reader, as asked */ }
        await _stream.DisposeAsync();
    }
}
