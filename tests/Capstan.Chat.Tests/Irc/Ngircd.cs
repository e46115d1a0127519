using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Capstan.Chat.Tests.Irc;

/// <summary>
/// A real ngIRCd (Debian's <c>ngircd</c> package) on 127.0.0.1 with a generated configuration on free ports, and with a
/// TLS port whose self-signed certificate (for 127.0.0.1) openssl makes. Never the system service.
/// </summary>
public sealed class Ngircd : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _dir;

    public int Port { get; }
    public int TlsPort { get; }

    /// <summary>The server's self-signed certificate (PEM), which is its own CA.</summary>
    public string CertFile => Path.Combine(_dir, "cert.pem");

    private Ngircd(Process process, string dir, int port, int tlsPort)
    {
        _process = process;
        _dir = dir;
        Port = port;
        TlsPort = tlsPort;
    }

    public static async Task<Ngircd> StartAsync()
    {
        const string binary = "/usr/sbin/ngircd";
        Assert.True(File.Exists(binary), "ngIRCd is not installed: apt-get install -y ngircd (test.sh installs it)");
        var dir = Path.Combine(Path.GetTempPath(), "capstan-ngircd-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(dir);
        // ngIRCd drops root for 'nobody': its files must be readable by everyone.
        Mode(dir, (UnixFileMode)0b111_101_101);
        await RunAsync("openssl", $"req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout {dir}/key.pem -out {dir}/cert.pem");
        foreach (var f in new[] { "key.pem", "cert.pem" }) Mode(Path.Combine(dir, f), (UnixFileMode)0b110_100_100);
        var (port, tlsPort) = (FreePort(), FreePort());
        var config = Path.Combine(dir, "ngircd.conf");
        await File.WriteAllTextAsync(config, $"""
            [Global]
            Name = irc.capstan.test
            Info = Capstan test server
            AdminInfo1 = Capstan tests
            Listen = 127.0.0.1
            Ports = {port}
            MotdPhrase = "Capstan test"
            [Limits]
            MaxConnectionsIP = 0
            MaxNickLength = 20
            [Options]
            DNS = no
            Ident = no
            PAM = no
            [SSL]
            CertFile = {dir}/cert.pem
            KeyFile = {dir}/key.pem
            Ports = {tlsPort}
            """);
        Mode(config, (UnixFileMode)0b110_100_100);
        var process = Process.Start(new ProcessStartInfo(binary, ["--nodaemon", "--config", config]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new Ngircd(process, dir, port, tlsPort);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await Listening(port) || !await Listening(tlsPort))
        {
            if (process.HasExited || DateTime.UtcNow > deadline) { await server.DisposeAsync(); Assert.Fail("ngIRCd did not start listening on 127.0.0.1"); }
            await Task.Delay(50);
        }
        return server;
    }

    private static void Mode(string path, UnixFileMode mode)
    {
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, mode);
    }

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private static async Task<bool> Listening(int port)
    {
        try
        {
            using var c = new TcpClient();
            await c.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException) { return false; }
    }

    private static async Task RunAsync(string file, string args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var err = p.StandardError.ReadToEndAsync();
        await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, $"{file} {args} failed: {await err}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
