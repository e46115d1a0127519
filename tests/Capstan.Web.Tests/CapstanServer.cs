using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.Json;

namespace Capstan.Web.Tests;

/// <summary>The real `capstan up` executable on a fresh temp data folder and a free port, one per test class.</summary>
public sealed class CapstanServer : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    private readonly StringBuilder _log = new();
    private Process? _process;

    /// <summary>The data folder the server was started on.</summary>
    public string DataDir { get; } = Path.Combine(Path.GetTempPath(), "capstan-web-" + Guid.NewGuid().ToString("N")[..10]);

    /// <summary>The URL `capstan up` printed (and wrote to DATA/server.json).</summary>
    public string Url { get; private set; } = "";

    /// <summary>The one-time sign-in link for alice that `capstan up` printed.</summary>
    public string PrintedSignInLink { get; private set; } = "";

    /// <summary>Everything the server printed so far, for failure messages.</summary>
    public string Log { get { lock (_log) return _log.ToString(); } }

    public async Task InitializeAsync()
    {
        var linkPrinted = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var psi = Start("up", "--data", DataDir, "--port", "0");
        _process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_log) _log.AppendLine(e.Data);
            var line = e.Data.Trim();
            if (line.StartsWith("http", StringComparison.Ordinal) && line.Contains("/signin?token=", StringComparison.Ordinal)) linkPrinted.TrySetResult(line);
        };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine("stderr: " + e.Data); };
        _process.Exited += (_, _) => linkPrinted.TrySetException(new InvalidOperationException($"capstan up exited with {_process.ExitCode} before printing a sign-in link:\n{Log}"));
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        try
        {
            PrintedSignInLink = await linkPrinted.Task.WaitAsync(StartTimeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"capstan up printed no sign-in link within {StartTimeout.TotalSeconds:0} s:\n{Log}");
        }
        using var record = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(DataDir, "server.json")));
        Url = record.RootElement.GetProperty("Url").GetString()!;
        Assert.StartsWith(Url + "/signin?token=", PrintedSignInLink);
    }

    /// <summary>A fresh one-time sign-in link for a person, from `capstan signin-link`.</summary>
    public async Task<string> SignInLinkAsync(string person)
    {
        var (exit, stdout, stderr) = await RunAsync("signin-link", "--data", DataDir, "--person", person);
        Assert.True(exit == 0, $"capstan signin-link exited {exit}: {stdout}{stderr}");
        var link = stdout.Split('\n', StringSplitOptions.TrimEntries).Single(l => l.Contains("/signin?token=", StringComparison.Ordinal));
        Assert.StartsWith(Url + "/signin?token=", link);
        return link;
    }

    /// <summary>`capstan say --data DIR --as PERSON TEXT`: posts to #ops from the terminal and returns what it printed.</summary>
    public Task<(int Exit, string Stdout, string Stderr)> SayAsync(string person, string text) =>
        RunAsync("say", "--data", DataDir, "--as", person, text);

    /// <summary>Runs the capstan executable to completion.</summary>
    public async Task<(int Exit, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        using var p = new Process { StartInfo = Start(args) };
        p.Start();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(CommandTimeout);
        try
        {
            await p.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"capstan {string.Join(' ', args)} did not finish within {CommandTimeout.TotalSeconds:0} s.");
        }
        return (p.ExitCode, await stdout, await stderr);
    }

    public async Task DisposeAsync()
    {
        if (_process is not null)
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            _process.Dispose();
        }
        try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static ProcessStartInfo Start(params string[] args)
    {
        var psi = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["NO_COLOR"] = "1";
        Capstan.Testing.TestClock.Apply(psi);
        return psi;
    }

    /// <summary>src/Capstan/bin/CONFIGURATION/net10.0/capstan, built first through the project reference.</summary>
    public static string Executable { get; } = FindExecutable();

    private static string FindExecutable()
    {
        var configuration = typeof(CapstanServer).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "Configuration").Value!;
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Capstan.slnx"))) dir = dir.Parent;
        if (dir is null) throw new InvalidOperationException($"No Capstan.slnx above {AppContext.BaseDirectory}: run the tests from the repository.");
        var exe = Path.Combine(dir.FullName, "src", "Capstan", "bin", configuration, "net10.0", OperatingSystem.IsWindows() ? "capstan.exe" : "capstan");
        if (!File.Exists(exe)) throw new InvalidOperationException($"{exe} does not exist: build it with `dotnet build src/Capstan -c {configuration}` (dotnet test on this project does).");
        return exe;
    }
}
