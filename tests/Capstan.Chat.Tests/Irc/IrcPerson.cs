using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using Capstan.Chat.Irc;

namespace Capstan.Chat.Tests.Irc;

/// <summary>A person's IRC client in the tests: raw TCP, registers, joins, says things and keeps every line it receives.</summary>
public sealed class IrcPerson : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly StreamWriter _writer;
    private readonly Task _reading;
    private readonly SemaphoreSlim _write = new(1, 1);

    public ConcurrentQueue<IrcMessage> Received { get; } = new();
    public ConcurrentQueue<string> RawLines { get; } = new();
    public string Nick { get; }

    /// <summary>Called for every line as it arrives (the benchmark counts answers without scanning).</summary>
    public Action<IrcMessage>? Heard { get; set; }

    private IrcPerson(TcpClient tcp, string nick)
    {
        _tcp = tcp;
        Nick = nick;
        var stream = tcp.GetStream();
        _writer = new StreamWriter(stream, new UTF8Encoding(false)) { NewLine = "\r\n", AutoFlush = true };
        _reading = Task.Run(async () =>
        {
            using var reader = new StreamReader(stream, new UTF8Encoding(false));
            try
            {
                while (await reader.ReadLineAsync() is { } line)
                {
                    RawLines.Enqueue(line);
                    var m = IrcMessage.Parse(line);
                    if (m.Command == "PING") await SendAsync("PONG :" + m.Param(0));
                    Received.Enqueue(m);
                    Heard?.Invoke(m);
                }
            }
            catch (IOException) { }
            catch (ObjectDisposedException) { }
        });
    }

    public static async Task<IrcPerson> ConnectAsync(int port, string nick, string user, params string[] channels)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        var p = new IrcPerson(tcp, nick);
        await p.SendAsync($"NICK {nick}");
        await p.SendAsync($"USER {user} 0 * :{user}");
        await p.WaitForAsync(m => m.Command == "001", $"{nick} is registered");
        foreach (var c in channels) await p.JoinAsync(c);
        return p;
    }

    public async Task JoinAsync(string channel)
    {
        await SendAsync("JOIN " + channel);
        await WaitForAsync(m => m.Command == "366" && IrcNick.Same(m.Param(1), channel), $"{Nick} joined {channel}");
    }

    public async Task SendAsync(string line)
    {
        await _write.WaitAsync();
        try { await _writer.WriteLineAsync(line); }
        finally { _write.Release(); }
    }

    public Task SayAsync(string target, string text) => SendAsync($"PRIVMSG {target} :{text}");

    /// <summary>The texts of the PRIVMSGs and NOTICEs this person received from Capstan (any nick it took: capstan, capstan_ …), in order.</summary>
    public List<string> HeardFromCapstan(string? to = null) =>
        Received.Where(m => m.Command is "PRIVMSG" or "NOTICE" && (m.Nick ?? "").StartsWith("capstan", StringComparison.OrdinalIgnoreCase) && (to is null || IrcNick.Same(m.Param(0), to)))
            .Select(m => m.Param(1)).ToList();

    public async Task<IrcMessage> WaitForAsync(Func<IrcMessage, bool> what, string description, TimeSpan? within = null)
    {
        IrcMessage? found = null;
        await Eventually.TrueAsync(() => (found = Received.FirstOrDefault(what)) is not null, description, within);
        return found!;
    }

    public async ValueTask DisposeAsync()
    {
        try { await SendAsync("QUIT :bye"); } catch (IOException) { }
        _tcp.Dispose();
        await _reading;
    }
}
