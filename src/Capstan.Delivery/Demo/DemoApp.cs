using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace Capstan.Delivery;

/// <summary>
/// The demo service (the hidden verb <c>capstan demo-app --port P --version V</c>): a tiny HTTP/1.1 server on
/// 127.0.0.1 that serves its version on <c>/</c> and its health on <c>/healthz</c>. Version 1.3.0 never turns healthy.
/// </summary>
public static class DemoApp
{
    public const string NeverHealthy = "1.3.0";

    /// <summary>Serves until cancelled or sent SIGTERM/SIGINT; returns the process exit code.</summary>
    public static async Task<int> RunAsync(int port, string version, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var signals = Core.StopSignals.Cancel(stop);
        var listener = new TcpListener(IPAddress.Loopback, port);
        try
        {
            listener.Start();
        }
        catch (SocketException ex)
        {
            await Console.Error.WriteLineAsync($"demo {version}: cannot listen on 127.0.0.1:{port}: {ex.Message}");
            return 1;
        }
        var greeting = Environment.GetEnvironmentVariable("DEMO_GREETING") ?? "hello";
        // DEMO_HEALTH=fail answers 503 and DEMO_HEALTH=hang never answers, to try health checks on any version.
        var health = Environment.GetEnvironmentVariable("DEMO_HEALTH") ?? (version == NeverHealthy ? "fail" : "ok");
        Console.WriteLine($"demo {version} listening on http://127.0.0.1:{port} ({greeting})");
        if (version == NeverHealthy) Console.WriteLine($"demo {version}: warming caches (this version never finishes, on purpose)");
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var client = await listener.AcceptTcpClientAsync(stop.Token);
                _ = ServeAsync(client, version, greeting, health, stop.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            listener.Stop();
        }
        Console.WriteLine($"demo {version} stopped");
        return 0;
    }

    private static async Task ServeAsync(TcpClient client, string version, string greeting, string health, CancellationToken ct)
    {
        using (client)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                var stream = client.GetStream();
                var buffer = new byte[8192];
                var read = 0;
                while (read < buffer.Length)
                {
                    var n = await stream.ReadAsync(buffer.AsMemory(read), timeout.Token);
                    if (n == 0) break;
                    read += n;
                    if (Encoding.ASCII.GetString(buffer, 0, read).Contains("\r\n\r\n", StringComparison.Ordinal)) break;
                }
                var requestLine = Encoding.ASCII.GetString(buffer, 0, read).Split("\r\n", 2)[0].Split(' ');
                var path = requestLine.Length > 1 ? requestLine[1] : "/";
                if (path == "/healthz" && health == "hang")
                {
                    await Task.Delay(Timeout.Infinite, ct);
                    return;
                }
                var (status, body) = path switch
                {
                    "/healthz" when health == "fail" => (503, $"not ready: demo {version} is still warming caches\n"),
                    "/healthz" => (200, "ok\n"),
                    "/" => (200, $"{{\"app\":\"demo\",\"version\":\"{version}\",\"greeting\":\"{greeting.Replace("\"", "", StringComparison.Ordinal)}\"}}\n"),
                    _ => (404, "not found\n"),
                };
                if (path != "/healthz") Console.WriteLine($"{requestLine[0]} {path} {status}");
                var bytes = Encoding.UTF8.GetBytes(body);
                var head = $"HTTP/1.1 {status} {(status == 200 ? "OK" : status == 404 ? "Not Found" : "Service Unavailable")}\r\n" +
                    $"Content-Type: {(path == "/" ? "application/json" : "text/plain")}; charset=utf-8\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head), timeout.Token);
                await stream.WriteAsync(bytes, timeout.Token);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException)
            {
                // A client that goes away mid-request is not the server's problem.
            }
        }
    }
}
