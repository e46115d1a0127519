using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Capstan.Chat.Tests.Xmpp;

/// <summary>
/// A real Prosody (Debian's package) started for one test as an unprivileged process on a free 127.0.0.1 port: its own
/// generated config, data folder and self-signed certificate in a temp folder, a MUC component (rooms reveal real
/// addresses, as a team's non-anonymous rooms do), accounts registered with prosodyctl. Never the system service.
/// </summary>
public sealed class ProsodyServer : IAsyncDisposable
{
    public const string Domain = "example.test";
    public const string Rooms = "rooms.example.test";
    public const string CapstanPassword = "capstan-pass-7Hq";

    private readonly Process _process;
    public string Folder { get; }
    public int Port { get; }
    public string CaFile => Path.Combine(Folder, "cert.pem");

    private ProsodyServer(string folder, int port, Process process)
    {
        Folder = folder;
        Port = port;
        _process = process;
    }

    /// <summary>Starts Prosody with accounts capstan, bob and mallory (password = name + "-pw" except capstan's).</summary>
    public static async Task<ProsodyServer> StartAsync(string? rate = null)
    {
        var folder = Path.Combine(Path.GetTempPath(), "capstan-prosody-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Path.Combine(folder, "data"));
        // Prosody drops root; when the tests run as root it runs as the prosody user, which must write its data folder.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(folder, (UnixFileMode)0x1FF);
            File.SetUnixFileMode(Path.Combine(folder, "data"), (UnixFileMode)0x1FF);
        }
        await RunAsync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=" + Domain,
            "-addext", $"subjectAltName=DNS:{Domain},DNS:{Rooms}", "-keyout", Path.Combine(folder, "key.pem"), "-out", Path.Combine(folder, "cert.pem")]);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Path.Combine(folder, "key.pem"), (UnixFileMode)0x1A4);
        var port = FreePort();
        var config = Path.Combine(folder, "prosody.cfg.lua");
        await File.WriteAllTextAsync(config, $$"""
            pidfile = "{{folder}}/prosody.pid"
            data_path = "{{folder}}/data"
            certificates = "{{folder}}"
            log = { { levels = { min = "info" }, to = "file", filename = "{{folder}}/prosody.log" } }
            interfaces = { "127.0.0.1" }
            c2s_ports = { {{port}} }
            c2s_direct_tls_ports = { }
            legacy_ssl_ports = { }
            s2s_ports = { }
            s2s_direct_tls_ports = { }
            component_ports = { }
            http_ports = { }
            https_ports = { }
            c2s_require_encryption = true
            authentication = "internal_hashed"
            modules_enabled = { "roster"; "saslauth"; "tls"; "disco"; "ping"; "limits" }
            limits = { c2s = { rate = "{{rate ?? "200kb/s"}}"; burst = "1s" } }
            VirtualHost "{{Domain}}"
              ssl = { key = "{{folder}}/key.pem"; certificate = "{{folder}}/cert.pem" }
            Component "{{Rooms}}" "muc"
              ssl = { key = "{{folder}}/key.pem"; certificate = "{{folder}}/cert.pem" }
              muc_room_default_public_jids = true
              muc_room_locking = false
            """);
        foreach (var (user, password) in new[] { ("capstan", CapstanPassword), ("bob", "bob-pw"), ("mallory", "mallory-pw"), ("carol", "carol-pw") })
            await RunAsync("prosodyctl", ["--config", config, "register", user, Domain, password]);
        var process = Process.Start(Command("prosody", ["--config", config, "-F"])) ?? throw new InvalidOperationException("prosody did not start");
        var server = new ProsodyServer(folder, port, process);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return server;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(50);
            }
            catch (SocketException)
            {
                var log = File.Exists(Path.Combine(folder, "prosody.log")) ? await File.ReadAllTextAsync(Path.Combine(folder, "prosody.log")) : "";
                await server.DisposeAsync();
                throw new InvalidOperationException("Prosody did not listen on port " + port + ": " + log);
            }
        }
    }

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private static ProcessStartInfo Command(string file, IEnumerable<string> args)
    {
        var asRoot = Environment.UserName == "root";
        var start = new ProcessStartInfo(asRoot ? "runuser" : file) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (asRoot) foreach (var a in new[] { "-u", "prosody", "--", file }) start.ArgumentList.Add(a);
        foreach (var a in args) start.ArgumentList.Add(a);
        return start;
    }

    private static async Task RunAsync(string file, IEnumerable<string> args)
    {
        var start = file == "openssl" ? new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true } : Command(file, []);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var error = p.StandardError.ReadToEndAsync();
        await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} failed: {await error}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        try { Directory.Delete(Folder, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
