using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace Capstan.Chat.Xmpp;

/// <summary>How to sign in to an XMPP server: the account, its password, where the server is and which CA to trust.</summary>
public sealed record XmppLogin(string Jid, string Password, string Host, int Port, string? CaFile, string Resource);

/// <summary>
/// One authenticated XMPP client stream (RFC 6120): TCP, STARTTLS (required, certificate checked), SASL SCRAM-SHA-256,
/// SCRAM-SHA-1 or PLAIN (only ever inside TLS), resource binding; then stanzas in and out. Incoming XML is read with
/// <see cref="XmlReader"/> with DTDs prohibited, one top-level element at a time.
/// </summary>
public sealed class XmppStream : IAsyncDisposable
{
    public static readonly XNamespace Client = "jabber:client";
    private static readonly XNamespace Streams = "http://etherx.jabber.org/streams";
    private static readonly XNamespace Tls = "urn:ietf:params:xml:ns:xmpp-tls";
    private static readonly XNamespace Sasl = "urn:ietf:params:xml:ns:xmpp-sasl";
    private static readonly XNamespace Bind = "urn:ietf:params:xml:ns:xmpp-bind";

    private readonly TcpClient _tcp;
    private Stream _stream = Stream.Null;
    private XmlReader _reader = null!;
    private readonly SemaphoreSlim _writing = new(1, 1);

    private XmppStream(TcpClient tcp)
    {
        _tcp = tcp;
    }

    /// <summary>The address the server bound (<c>capstan@example.org/capstan</c>).</summary>
    public string FullJid { get; private set; } = "";

    public string Domain { get; private set; } = "";

    /// <summary>Connects, secures, signs in and binds a resource; throws a sentence saying what to fix when it cannot.</summary>
    public static async Task<XmppStream> OpenAsync(XmppLogin login, CancellationToken ct)
    {
        var tcp = new TcpClient { NoDelay = true };
        var s = new XmppStream(tcp);
        try
        {
            await tcp.ConnectAsync(login.Host, login.Port, ct);
            s._stream = tcp.GetStream();
            await s.SignInAsync(login, ct);
            return s;
        }
        catch
        {
            await s.DisposeAsync();
            throw;
        }
    }

    private async Task SignInAsync(XmppLogin login, CancellationToken ct)
    {
        var (local, domain) = Jids.Split(login.Jid);
        Domain = domain;
        var features = await RestartAsync(ct);
        if (features.Element(Tls + "starttls") is null)
            throw new AuthenticationException($"The XMPP server at {login.Host}:{login.Port} does not offer STARTTLS; Capstan never sends a password unencrypted. Enable TLS on the server.");
        await SendAsync(new XElement(Tls + "starttls"), ct);
        var proceed = await ReadAsync(ct) ?? throw new IOException("The XMPP server closed the stream during STARTTLS.");
        if (proceed.Name != Tls + "proceed") throw new AuthenticationException($"The XMPP server refused STARTTLS ({proceed.Name.LocalName}).");
        await SecureAsync(login, domain, ct);
        features = await RestartAsync(ct);
        await AuthenticateAsync(features, local, login, ct);
        features = await RestartAsync(ct);
        if (features.Element(Bind + "bind") is null) throw new IOException("The XMPP server offers no resource binding after sign-in.");
        var bound = await QueryAsync(new XElement(Client + "iq", new XAttribute("type", "set"), new XAttribute("id", "bind"),
            new XElement(Bind + "bind", new XElement(Bind + "resource", login.Resource))), ct);
        FullJid = bound.Element(Bind + "bind")?.Element(Bind + "jid")?.Value ?? throw new IOException("The XMPP server did not bind a resource.");
    }

    private async Task SecureAsync(XmppLogin login, string domain, CancellationToken ct)
    {
        var options = new SslClientAuthenticationOptions { TargetHost = domain };
        if (login.CaFile is not null)
        {
            var trusted = new X509Certificate2Collection();
            trusted.ImportFromPemFile(login.CaFile);
            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            policy.CustomTrustStore.AddRange(trusted);
            options.CertificateChainPolicy = policy;
        }
        var tls = new SslStream(_stream, leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsClientAsync(options, ct);
        }
        catch (AuthenticationException ex)
        {
            throw new AuthenticationException($"The XMPP server's certificate for {domain} is not trusted ({ex.Message}). If the server uses its own CA or a self-signed certificate, set platforms.xmpp.caFile to that CA's PEM file.", ex);
        }
        _stream = tls;
    }

    private async Task AuthenticateAsync(XElement features, string local, XmppLogin login, CancellationToken ct)
    {
        var offered = features.Element(Sasl + "mechanisms")?.Elements(Sasl + "mechanism").Select(m => m.Value).ToHashSet(StringComparer.Ordinal) ?? [];
        var hash = offered.Contains("SCRAM-SHA-256") ? HashAlgorithmName.SHA256 : offered.Contains("SCRAM-SHA-1") ? HashAlgorithmName.SHA1 : (HashAlgorithmName?)null;
        XElement answer;
        if (hash is { } h)
        {
            var scram = new Scram(h, local, login.Password);
            await SendAsync(new XElement(Sasl + "auth", new XAttribute("mechanism", Scram.MechanismOf(h)), Base64(scram.ClientFirst())), ct);
            answer = await ReadAsync(ct) ?? throw new IOException("The XMPP server closed the stream during sign-in.");
            if (answer.Name == Sasl + "challenge")
            {
                await SendAsync(new XElement(Sasl + "response", Base64(scram.ClientFinal(FromBase64(answer.Value)))), ct);
                answer = await ReadAsync(ct) ?? throw new IOException("The XMPP server closed the stream during sign-in.");
            }
            if (answer.Name == Sasl + "success" && !scram.ServerIsGenuine(FromBase64(answer.Value)))
                throw new AuthenticationException($"The XMPP server for {login.Jid} could not prove it knows the password (SCRAM server signature wrong); Capstan disconnected.");
        }
        else if (offered.Contains("PLAIN") && _stream is SslStream)
        {
            await SendAsync(new XElement(Sasl + "auth", new XAttribute("mechanism", "PLAIN"), Base64("\0" + local + "\0" + login.Password)), ct);
            answer = await ReadAsync(ct) ?? throw new IOException("The XMPP server closed the stream during sign-in.");
        }
        else
        {
            throw new AuthenticationException($"The XMPP server offers no sign-in Capstan accepts (SCRAM-SHA-256, SCRAM-SHA-1, or PLAIN over TLS); it offers: {string.Join(", ", offered)}.");
        }
        if (answer.Name != Sasl + "success")
        {
            var condition = answer.Elements().FirstOrDefault(e => e.Name != Sasl + "text")?.Name.LocalName ?? answer.Name.LocalName;
            throw new AuthenticationException(condition == "not-authorized"
                ? $"The XMPP server refused the password for {login.Jid} (not-authorized): check the account and the password secret."
                : $"The XMPP server refused to sign in {login.Jid} ({condition}).");
        }
    }

    /// <summary>Opens a new stream on the current transport and returns its features.</summary>
    private async Task<XElement> RestartAsync(CancellationToken ct)
    {
        await WriteAsync($"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='{SecurityElement(Domain)}' version='1.0'>", ct);
        _reader = XmlReader.Create(_stream, new XmlReaderSettings
        {
            Async = true, DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, CloseInput = false,
            IgnoreComments = true, IgnoreProcessingInstructions = true, ConformanceLevel = ConformanceLevel.Document,
        });
        while (await _reader.ReadAsync())
            if (_reader.NodeType == XmlNodeType.Element)
                break;
        if (_reader.NodeType != XmlNodeType.Element || _reader.LocalName != "stream" || _reader.NamespaceURI != Streams.NamespaceName)
            throw new IOException("The server did not open an XMPP stream; is platforms.xmpp.server an XMPP client port (usually 5222)?");
        var features = await ReadAsync(ct) ?? throw new IOException("The XMPP server closed the stream.");
        if (features.Name != Streams + "features") throw new IOException($"The XMPP server sent {features.Name.LocalName} instead of its features.");
        return features;
    }

    /// <summary>An iq request answered by its result; throws with the server's error condition otherwise.</summary>
    private async Task<XElement> QueryAsync(XElement iq, CancellationToken ct)
    {
        await SendAsync(iq, ct);
        while (true)
        {
            var answer = await ReadAsync(ct) ?? throw new IOException("The XMPP server closed the stream.");
            if (answer.Name != Client + "iq" || (string?)answer.Attribute("id") != (string?)iq.Attribute("id")) continue;
            if ((string?)answer.Attribute("type") == "result") return answer;
            throw new IOException($"The XMPP server refused {iq.Elements().FirstOrDefault()?.Name.LocalName}: {Jids.ErrorCondition(answer)}.");
        }
    }

    /// <summary>The next top-level element (a stanza), or null when the server closed the stream.</summary>
    public async Task<XElement?> ReadAsync(CancellationToken ct)
    {
        await using var cancel = ct.Register(() => _tcp.Close());
        try
        {
            while (await _reader.ReadAsync())
            {
                if (_reader.NodeType == XmlNodeType.EndElement && _reader.Depth == 0) return null;
                if (_reader.NodeType != XmlNodeType.Element || _reader.Depth != 1) continue;
                // The subtree reader stops at the element's end without reading ahead, so a stanza is handled as soon as it is complete.
                using var subtree = _reader.ReadSubtree();
                var element = await XElement.LoadAsync(subtree, LoadOptions.None, ct);
                if (element.Name == Streams + "error")
                    throw new IOException($"The XMPP server ended the stream: {element.Elements().FirstOrDefault()?.Name.LocalName ?? "unknown error"}.");
                return element;
            }
            return null;
        }
        catch (Exception ex) when (ct.IsCancellationRequested && ex is not OperationCanceledException)
        {
            throw new OperationCanceledException(ct);
        }
    }

    public Task SendAsync(XElement stanza, CancellationToken ct) => WriteAsync(stanza.ToString(SaveOptions.DisableFormatting | SaveOptions.OmitDuplicateNamespaces), ct);

    /// <summary>A single space between stanzas: the keep-alive RFC 6120 allows, which also shows a dead connection on write.</summary>
    public Task SendWhitespaceAsync(CancellationToken ct) => WriteAsync(" ", ct);

    private async Task WriteAsync(string text, CancellationToken ct)
    {
        await _writing.WaitAsync(ct);
        try
        {
            await _stream.WriteAsync(Encoding.UTF8.GetBytes(text), ct);
            await _stream.FlushAsync(ct);
        }
        finally { _writing.Release(); }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stream.CanWrite)
        {
            try
            {
                using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await WriteAsync("</stream:stream>", quick.Token);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException) { /* the connection is gone already: nothing to close politely */ }
        }
        _reader?.Dispose();
        await _stream.DisposeAsync();
        _tcp.Dispose();
    }

    private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
    private static string FromBase64(string text) => text.Length == 0 || text == "=" ? "" : Encoding.UTF8.GetString(Convert.FromBase64String(text));
    private static string SecurityElement(string text) => System.Security.SecurityElement.Escape(text);
}
