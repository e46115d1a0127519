using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Capstan.Chat.Irc;

namespace Capstan.Chat.Tests.Irc;

/// <summary>
/// A small IRC server in the tests for what ngIRCd does not have: IRCv3 CAP negotiation, SASL PLAIN and services accounts
/// (<c>account-tag</c>, <c>extended-join</c>). One client (Capstan) at a time; the test plays the other people by writing
/// their lines to Capstan (<see cref="SendAsync"/>) and reads what Capstan sent (<see cref="Received"/>).
/// With <see cref="Silent"/> it stops answering anything, PING included (a dead server behind a live socket).
/// </summary>
public sealed class SaslIrcServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private volatile StreamWriter? _client;
    private string _nick = "*";

    public SaslIrcServer(string user, string password, string caps = "sasl=PLAIN account-tag extended-join account-notify multi-prefix")
    {
        User = user;
        Password = password;
        Caps = caps;
        _listener.Start();
        _accepting = Task.Run(AcceptAsync);
    }

    public string User { get; }
    public string Password { get; }
    public string Caps { get; }
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
    public ConcurrentQueue<string> Received { get; } = new();
    public int Sessions;
    public volatile bool Silent;
    public volatile string? LoggedInAs;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient tcp;
            try { tcp = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (OperationCanceledException) { return; }
            Interlocked.Increment(ref Sessions);
            _ = Task.Run(() => ServeAsync(tcp));
        }
    }

    private async Task ServeAsync(TcpClient tcp)
    {
        using var _ = tcp;
        var stream = tcp.GetStream();
        var writer = new StreamWriter(stream, new UTF8Encoding(false)) { NewLine = "\r\n", AutoFlush = true };
        _client = writer;
        using var reader = new StreamReader(stream, new UTF8Encoding(false));
        try
        {
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                Received.Enqueue(line);
                if (Silent) continue;
                var m = IrcMessage.Parse(line);
                switch (m.Command)
                {
                    case "CAP" when m.Param(0) == "LS": await SendAsync($":irc.test CAP * LS :{Caps}"); break;
                    case "CAP" when m.Param(0) == "REQ": await SendAsync($":irc.test CAP * ACK :{m.Param(1)}"); break;
                    case "AUTHENTICATE" when m.Param(0) == "PLAIN": await SendAsync("AUTHENTICATE +"); break;
                    case "AUTHENTICATE":
                        var parts = Encoding.UTF8.GetString(Convert.FromBase64String(m.Param(0))).Split('\0');
                        if (parts.Length == 3 && parts[1] == User && parts[2] == Password)
                        {
                            LoggedInAs = User;
                            await SendAsync($":irc.test 900 {_nick} {_nick}!capstan@bot.test {User} :You are now logged in as {User}");
                            await SendAsync($":irc.test 903 {_nick} :SASL authentication successful");
                        }
                        else await SendAsync($":irc.test 904 {_nick} :SASL authentication failed");
                        break;
                    case "NICK": _nick = m.Param(0); break;
                    case "CAP" when m.Param(0) == "END": await SendAsync($":irc.test 001 {_nick} :Welcome"); break;
                    case "JOIN": await SendAsync($":{_nick}!capstan@bot.test JOIN {m.Param(0)} {LoggedInAs ?? "*"} :Capstan"); break;
                    case "PING": await SendAsync($":irc.test PONG irc.test :{m.Param(0)}"); break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException) { }
    }

    /// <summary>Writes a line to Capstan as the server would relay it.</summary>
    public async Task SendAsync(string line)
    {
        var w = _client ?? throw new InvalidOperationException("Capstan is not connected to the test server");
        await w.WriteLineAsync(line);
    }

    /// <summary>The first lines of Capstan's answers to whoami in <paramref name="target"/> (each answer is several lines).</summary>
    public List<string> Answers(string target) => Said(target).Where(t => t.StartsWith("You are", StringComparison.Ordinal)).ToList();

    /// <summary>The texts Capstan sent with PRIVMSG to <paramref name="target"/>.</summary>
    public List<string> Said(string target) =>
        Received.Select(IrcMessage.Parse).Where(m => m.Command == "PRIVMSG" && IrcNick.Same(m.Param(0), target)).Select(m => m.Param(1)).ToList();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
