using Capstan.Testing;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Capstan.EndToEnd.Tests;

/// <summary>The real `capstan` executable, as a user runs it.</summary>
public static partial class CapstanExe
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "Capstan.slnx"))) dir = dir.Parent;
        if (dir is null) throw new InvalidOperationException("cannot find the repository root (Capstan.slnx) above " + AppContext.BaseDirectory);
        var config = AppContext.BaseDirectory.Contains($"{System.IO.Path.DirectorySeparatorChar}Release{System.IO.Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var exe = System.IO.Path.Combine(dir.FullName, "src", "Capstan", "bin", config, "net10.0", "capstan");
        if (!File.Exists(exe)) throw new InvalidOperationException($"{exe} was not built; build src/Capstan first.");
        return exe;
    }

    public sealed record Run(int ExitCode, string Output, string Error);

    /// <summary>Runs a verb to completion and returns its exit code and output.</summary>
    public static Task<Run> RunAsync(params string[] args) => RunInAsync(null, Path, args);

    /// <summary>Runs <paramref name="program"/> (capstan, git …) in <paramref name="folder"/> (null: here) to completion, with no terminal to ask on.</summary>
    public static async Task<Run> RunInAsync(string? folder, string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        if (folder is not null) psi.WorkingDirectory = folder;
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        psi.Environment["GIT_TERMINAL_PROMPT"] = "0";
        TestClock.Apply(psi);
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await p.WaitForExitAsync(timeout.Token);
        return new Run(p.ExitCode, await output, await error);
    }

    /// <summary>Runs git in <paramref name="folder"/> (null: here), fails the test when it fails, and returns what it printed.</summary>
    public static async Task<string> GitAsync(string? folder, params string[] args)
    {
        var run = await RunInAsync(folder, "git", args);
        Assert.True(run.ExitCode == 0, $"git {string.Join(' ', args)} failed: {run.Error}");
        return run.Output;
    }

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    [GeneratedRegex(@"(http://\S+/signin\?token=\S+)")]
    public static partial Regex SignInLink();

    /// <summary>An API token as `capstan token create` prints it.</summary>
    [GeneratedRegex(@"cap_[A-Za-z0-9_-]+")]
    public static partial Regex Token();
}

/// <summary>`capstan up` running in the background on a data folder.</summary>
public sealed class CapstanServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    public string Data { get; }
    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}";
    public string Output { get { lock (_output) return _output.ToString(); } }

    private CapstanServer(Process process, string data, int port)
    {
        _process = process;
        Data = data;
        Port = port;
    }

    public static async Task<CapstanServer> StartAsync(string? data = null, int? port = null, params string[] options)
    {
        data ??= System.IO.Path.Combine(System.IO.Path.GetTempPath(), "capstan-e2e-" + Guid.NewGuid().ToString("N")[..8]);
        var p = port ?? CapstanExe.FreePort();
        // As from a terminal, where Ctrl+C reaches the server: a test run started in the background (`.ci/run &`)
        // has SIGINT ignored, children inherit that, and .NET rightly keeps an inherited SIG_IGN, so the server
        // would never hear the stop. env --default-signal=INT restores the terminal's disposition and execs capstan.
        var psi = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        psi.ArgumentList.Add("--default-signal=INT");
        psi.ArgumentList.Add(CapstanExe.Path);
        foreach (var a in new[] { "up", "--data", data, "--port", p.ToString(System.Globalization.CultureInfo.InvariantCulture) }.Concat(options)) psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        TestClock.Apply(psi);
        var process = Process.Start(psi)!;
        var server = new CapstanServer(process, data, p);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (server._output) server._output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (server._output) server._output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!server.Output.Contains("Press Ctrl+C to stop.", StringComparison.Ordinal))
        {
            if (process.HasExited) throw new InvalidOperationException($"capstan up exited with {process.ExitCode}:\n{server.Output}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException("capstan up did not start within 60 s:\n" + server.Output);
            await Task.Delay(50);
        }
        return server;
    }

    /// <summary>Stops the server as Ctrl+C would and waits for it to exit.</summary>
    public async Task<int> StopAsync()
    {
        if (_process.HasExited) return _process.ExitCode;
        using var kill = Process.Start("kill", ["-INT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill!.WaitForExitAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // Say what the server was doing, so a slow stop can be told apart from a lost signal.
            throw new TimeoutException($"capstan up (pid {_process.Id}) did not exit within 30 s of SIGINT; its output:\n{Output}");
        }
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited) await StopAsync();
        }
        catch (TimeoutException)
        {
            _process.Kill(true);
        }
        _process.Dispose();
    }
}
