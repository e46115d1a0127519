using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Capstan.Runbooks.Tests;

/// <summary>A request as the local server saw it.</summary>
public sealed record LocalRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers);

/// <summary>
/// A tiny real HTTP/1.1 server on 127.0.0.1 written on TcpListener, so tests control the bytes: status,
/// headers, bodies, redirects, endpoints that hang, and connections dropped half-way.
/// </summary>
public sealed class LocalServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<LocalRequest, Stream, CancellationToken, Task> _handle;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <summary>Listens on 127.0.0.1, or on <paramref name="address"/> (another loopback address, such as 127.0.0.2).</summary>
    public LocalServer(Func<LocalRequest, Stream, CancellationToken, Task> handle, IPAddress? address = null)
    {
        _handle = handle;
        _listener = new TcpListener(address ?? IPAddress.Loopback, 0);
        _listener.Start();
        _loop = Task.Run(AcceptAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
    public string Url(string path = "/") => $"http://{((IPEndPoint)_listener.LocalEndpoint).Address}:{Port}{path}";

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (OperationCanceledException) { return; }
            catch (SocketException) { return; }
            _ = Task.Run(async () =>
            {
                using (client)
                {
                    try
                    {
                        var stream = client.GetStream();
                        var request = await ReadRequestAsync(stream);
                        if (request is not null) await _handle(request, stream, _stop.Token);
                    }
                    catch (IOException) { }
                    catch (OperationCanceledException) { }
                    catch (SocketException) { }
                }
            });
        }
    }

    private static async Task<LocalRequest?> ReadRequestAsync(Stream stream)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (!(bytes.Count >= 4 && bytes[^4] == '\r' && bytes[^3] == '\n' && bytes[^2] == '\r' && bytes[^1] == '\n'))
        {
            if (await stream.ReadAsync(one) == 0) return null;
            bytes.Add(one[0]);
        }
        var lines = Encoding.ASCII.GetString(bytes.ToArray()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var first = lines[0].Split(' ');
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
        if (headers.TryGetValue("Content-Length", out var len) && int.Parse(len) is var n and > 0)
        {
            var body = new byte[n];
            await stream.ReadExactlyAsync(body);
        }
        return new LocalRequest(first[0], first[1], headers);
    }

    /// <summary>Writes a whole response.</summary>
    public static async Task RespondAsync(Stream stream, int status, string body, string contentType = "text/plain", params (string Name, string Value)[] headers)
    {
        var payload = Encoding.UTF8.GetBytes(body);
        var head = new StringBuilder($"HTTP/1.1 {status} {Reason(status)}\r\nContent-Type: {contentType}\r\nContent-Length: {payload.Length}\r\nConnection: close\r\n");
        foreach (var (n, v) in headers) head.Append($"{n}: {v}\r\n");
        head.Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()));
        await stream.WriteAsync(payload);
        await stream.FlushAsync();
    }

    private static string Reason(int status) => status switch { 200 => "OK", 206 => "Partial Content", 302 => "Found", 307 => "Temporary Redirect", 404 => "Not Found", 416 => "Range Not Satisfiable", 500 => "Internal Server Error", _ => "Status" };

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }
}
