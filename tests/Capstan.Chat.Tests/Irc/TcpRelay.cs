using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Capstan.Chat.Tests.Irc;

/// <summary>
/// Sits between Capstan and the IRC server and can cut the connection at the worst moment: when Capstan's next line
/// matching <see cref="DropOn"/> arrives, that line is not forwarded and both sides are closed (a dropped connection mid-reply).
/// </summary>
public sealed class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    /// <summary>One shot: the first line from Capstan that matches is swallowed and the connection dropped.</summary>
    public volatile Func<string, bool>? DropOn;
    public int Connections;
    public int Drops;

    public TcpRelay(int target)
    {
        _target = target;
        _listener.Start();
        _accepting = Task.Run(AcceptAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (OperationCanceledException) { return; }
            Interlocked.Increment(ref Connections);
            var server = new TcpClient();
            await server.ConnectAsync(IPAddress.Loopback, _target);
            _ = Task.Run(() => PumpLinesAsync(client, server));
            _ = Task.Run(() => CopyAsync(server, client));
        }
    }

    private async Task PumpLinesAsync(TcpClient from, TcpClient to)
    {
        var pending = new List<byte>();
        var buffer = new byte[8192];
        try
        {
            var input = from.GetStream();
            var output = to.GetStream();
            int n;
            while ((n = await input.ReadAsync(buffer, _stop.Token)) > 0)
            {
                pending.AddRange(buffer.AsSpan(0, n));
                int nl;
                while ((nl = pending.IndexOf((byte)'\n')) >= 0)
                {
                    var line = pending.GetRange(0, nl + 1).ToArray();
                    pending.RemoveRange(0, nl + 1);
                    if (DropOn is { } drop && drop(Encoding.UTF8.GetString(line).TrimEnd()))
                    {
                        DropOn = null;
                        Interlocked.Increment(ref Drops);
                        from.Dispose();
                        to.Dispose();
                        return;
                    }
                    await output.WriteAsync(line, _stop.Token);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or SocketException) { }
        from.Dispose();
        to.Dispose();
    }

    private async Task CopyAsync(TcpClient from, TcpClient to)
    {
        try { await from.GetStream().CopyToAsync(to.GetStream(), _stop.Token); }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or SocketException) { }
        from.Dispose();
        to.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
