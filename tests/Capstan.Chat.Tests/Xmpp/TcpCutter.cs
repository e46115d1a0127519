using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Capstan.Chat.Tests.Xmpp;

/// <summary>A TCP relay between Capstan and the server that the test can cut, as a network drop would.</summary>
public sealed class TcpCutter : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly ConcurrentBag<TcpClient> _open = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly int _target;

    public TcpCutter(int target)
    {
        _target = target;
        _listener.Start();
        _ = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient inbound;
            try { inbound = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (OperationCanceledException) { return; }
            var outbound = new TcpClient();
            await outbound.ConnectAsync(IPAddress.Loopback, _target);
            _open.Add(inbound);
            _open.Add(outbound);
            _ = Pump(inbound, outbound);
            _ = Pump(outbound, inbound);
        }
    }

    private static async Task Pump(TcpClient from, TcpClient to)
    {
        try { await from.GetStream().CopyToAsync(to.GetStream()); }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException) { /* the cut closed this side */ }
        to.Close();
    }

    /// <summary>Cuts every open connection (both sides see it closed); new connections still go through.</summary>
    public void Cut()
    {
        while (_open.TryTake(out var c))
        {
            if (c.Client is { } socket) socket.LingerState = new LingerOption(true, 0);
            c.Close();
        }
    }

    public ValueTask DisposeAsync()
    {
        _stop.Cancel();
        Cut();
        _listener.Stop();
        return ValueTask.CompletedTask;
    }
}
