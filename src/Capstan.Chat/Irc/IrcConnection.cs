using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading.Channels;

namespace Capstan.Chat.Irc;

/// <summary>
/// The socket to one IRC server: TCP with TLS (verified against the system's CAs, a configured CA file, or not at all when
/// the operator said so), lines in through a channel a background reader fills, lines out one at a time. Lines people
/// caused are paced by a <see cref="FloodGate"/>; protocol replies (PONG) are not. A line with CR, LF or NUL is refused:
/// it would be two commands.
/// </summary>
internal sealed class IrcConnection : IAsyncDisposable
{
    private static readonly UTF8Encoding Utf8 = new(false);
    private readonly TcpClient _tcp;
    private readonly Stream _stream;
    private readonly FloodGate _flood;
    private readonly TimeProvider _clock;
    private readonly SemaphoreSlim _write = new(1, 1);
    private readonly SemaphoreSlim _pace = new(1, 1);
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _reader;

    private IrcConnection(TcpClient tcp, Stream stream, FloodGate flood, TimeProvider clock)
    {
        _tcp = tcp;
        _stream = stream;
        _flood = flood;
        _clock = clock;
        _reader = Task.Run(ReadAsync);
    }

    /// <summary>Lines as they arrive; completes (with the error, if any) when the server closes the connection.</summary>
    public ChannelReader<string> Lines => _lines.Reader;

    /// <summary>How many lines waited for the flood gate (for the status and the tests).</summary>
    public long Paced;

    public static async Task<IrcConnection> OpenAsync(IrcSettings s, IrcTimings timings, TimeProvider clock, CancellationToken ct)
    {
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                timeout.CancelAfter(timings.ConnectTimeout);
                try { await tcp.ConnectAsync(s.Host, s.Port, timeout.Token); }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    throw new TimeoutException($"Connecting to the IRC server {s.Host}:{s.Port} took longer than {timings.ConnectTimeout.TotalSeconds:0} s; check platforms.irc.server and the network.");
                }
            }
            Stream stream = tcp.GetStream();
            if (s.Tls)
            {
                var ssl = new SslStream(stream, false);
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = s.Host,
                    RemoteCertificateValidationCallback = (_, cert, _, errors) => Trusted(s, cert, errors),
                }, ct);
                stream = ssl;
            }
            return new IrcConnection(tcp, stream, new FloodGate(s.Burst, s.PerSecond, clock), clock);
        }
        catch (System.Security.Authentication.AuthenticationException ex)
        {
            tcp.Dispose();
            throw new System.Security.Authentication.AuthenticationException(
                $"The IRC server {s.Host}:{s.Port} did not show a certificate Capstan trusts ({ex.Message}). Give its CA with platforms.irc.caFile, or for a test server only set tlsVerify: false.", ex);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>The server's certificate is trusted: any when verification is off, else a valid chain for the host (to the configured CA when given).</summary>
    private static bool Trusted(IrcSettings s, X509Certificate? cert, SslPolicyErrors errors)
    {
        if (!s.TlsVerify) return true;
        if (s.CaFile is null || cert is null) return errors == SslPolicyErrors.None;
        if ((errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.ImportFromPemFile(s.CaFile);
        using var leaf = new X509Certificate2(cert);
        return chain.Build(leaf);
    }

    /// <summary>Sends a protocol line at once (registration, PONG, PING).</summary>
    public async Task SendAsync(string line, CancellationToken ct)
    {
        if (line.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0)
            throw new ArgumentException("An IRC line may not contain CR, LF or NUL; the text must be cleaned first.", nameof(line));
        var bytes = Utf8.GetBytes(line + "\r\n");
        await _write.WaitAsync(ct);
        try
        {
            await _stream.WriteAsync(bytes, ct);
            await _stream.FlushAsync(ct);
        }
        finally { _write.Release(); }
    }

    /// <summary>Sends a line people caused (a message, a join) when the flood gate lets it; lines keep the order they were given in.</summary>
    public async Task SendPacedAsync(string line, CancellationToken ct)
    {
        await _pace.WaitAsync(ct);
        try
        {
            var wait = _flood.Reserve();
            if (wait > TimeSpan.Zero)
            {
                Interlocked.Increment(ref Paced);
                await Task.Delay(wait, _clock, ct);
            }
            await SendAsync(line, ct);
        }
        finally { _pace.Release(); }
    }

    private async Task ReadAsync()
    {
        try
        {
            using var reader = new StreamReader(_stream, Utf8, false, 4096, leaveOpen: true);
            while (await reader.ReadLineAsync(_closing.Token) is { } line)
                if (line.Length > 0) _lines.Writer.TryWrite(line);
            _lines.Writer.TryComplete(new IOException("The IRC server closed the connection."));
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or SocketException)
        {
            _lines.Writer.TryComplete(ex is OperationCanceledException ? null : new IOException("The connection to the IRC server broke: " + ex.Message, ex));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync();
        _tcp.Dispose();
        await _stream.DisposeAsync();
        try { await _reader; }
        catch (OperationCanceledException) { /* closing */ }
        _closing.Dispose();
        _write.Dispose();
        _pace.Dispose();
    }
}
