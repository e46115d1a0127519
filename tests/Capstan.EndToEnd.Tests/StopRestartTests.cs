using Capstan.Testing;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace Capstan.EndToEnd.Tests;

/// <summary>
/// Stopping `capstan up` the ways people do — Ctrl+C typed on its terminal, SIGTERM, SIGINT to its process group —
/// and starting it again changes nothing that happened: the same history, DORA figures and status, and the ledger
/// gains only start, stop and adoption entries.
/// </summary>
public sealed partial class StopRestartTests
{
    private static readonly string[] StartStopAndAdoption = ["server.started", "server.stopping", "delivery.adopted"];

    [Fact]
    public async Task Stopping_with_ctrl_c_sigterm_or_a_group_sigint_and_starting_again_records_nothing_new_but_start_stop_and_adoption()
    {
        var data = Path.Combine(Path.GetTempPath(), "capstan-e2e-stop-" + Guid.NewGuid().ToString("N")[..8]);
        var port = CapstanExe.FreePort();
        try
        {
            Observation before;
            long baseline;
            await using (var first = await TerminalServer.StartAsync(data, port))
            {
                // One deploy that becomes healthy, one that fails and is reverted.
                Assert.Contains("is live and healthy in staging", await Say(data, "deploy demo 1.1.0 to staging"));
                Assert.Contains("Rolled back automatically", await Say(data, "deploy demo 1.3.0 to staging"));
                await EventuallyAsync(async () => (await Say(data, "status demo")).Contains("demo  staging  1.1.0    1.1.0  Synced  Healthy", StringComparison.Ordinal), "staging back on 1.1.0");
                before = await ObserveAsync(data);
                baseline = MaxSeq(data);
                Assert.Equal(0, await first.TypeCtrlCAsync());
            }

            // Started again three times, stopped each way a person does.
            foreach (var stop in new[] { Stop.CtrlC, Stop.Term, Stop.GroupInt })
            {
                var adopted = Count(data, "delivery.adopted");
                var code = await StopAfterStartAsync(data, port, adopted + 2, stop);
                Assert.True(code == 0, $"capstan up exited with {code} after {stop}");
            }

            await using (await TerminalServer.StartAsync(data, port))
            {
                await EventuallyAsync(() => Task.FromResult(Count(data, "delivery.adopted") >= 8), "the apps adopted");
                var added = Entries(data, baseline);
                Assert.All(added, e => Assert.Contains(e.Kind, StartStopAndAdoption));
                Assert.Equal(4, added.Count(e => e.Kind == "server.started"));
                Assert.Equal(4, added.Count(e => e.Kind == "server.stopping"));
                Assert.Equal(8, added.Count(e => e.Kind == "delivery.adopted")); // dev and staging, at each start

                var after = await ObserveAsync(data);
                Assert.Equal(before.History, after.History);
                Assert.Equal(before.Dora, after.Dora);
                Assert.Equal(before.Status, after.Status);
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try { Directory.Delete(data, true); } catch (IOException) { }
        }
    }

    private enum Stop { CtrlC, Term, GroupInt }

    /// <summary>Starts `up`, waits until it has adopted <paramref name="adoptedAtLeast"/> apps, stops it as said; returns its exit code.</summary>
    private static async Task<int> StopAfterStartAsync(string data, int port, int adoptedAtLeast, Stop how)
    {
        await using var server = await TerminalServer.StartAsync(data, port);
        await EventuallyAsync(() => Task.FromResult(Count(data, "delivery.adopted") >= adoptedAtLeast), $"{adoptedAtLeast} adoption notes");
        return how switch
        {
            Stop.CtrlC => await server.TypeCtrlCAsync(),
            Stop.Term => await server.SignalAsync("-TERM", group: false),
            _ => await server.SignalAsync("-INT", group: true),
        };
    }

    private sealed record Observation(string History, string Dora, string Status);

    /// <summary>What a person sees: the history, the DORA figures and the status (addresses and "N s ago" vary by run).</summary>
    private static async Task<Observation> ObserveAsync(string data) => new(
        await Say(data, "history demo"),
        await Say(data, "metrics dora demo in staging"),
        Varying().Replace(await Say(data, "status demo"), "…"));

    [GeneratedRegex(@"http://127\.0\.0\.1:\d+|(\d+(\.\d+)?\s?(ms|s|m|h|d))+ ago|config [0-9a-f]{7}")]
    private static partial Regex Varying();

    private static async Task<string> Say(string data, string text)
    {
        var run = await CapstanExe.RunAsync("say", "--data", data, "--as", "bob", text);
        return run.Output;
    }

    private sealed record Entry(long Seq, string Kind, string Data);

    private static List<Entry> Entries(string data, long after)
    {
        using var c = new SqliteConnection($"Data Source={Path.Combine(data, "capstan.db")};Mode=ReadOnly;Pooling=False");
        c.Open();
        using var q = c.CreateCommand();
        q.CommandText = "SELECT seq, kind, data FROM ledger WHERE seq > $after ORDER BY seq";
        q.Parameters.AddWithValue("$after", after);
        using var r = q.ExecuteReader();
        var list = new List<Entry>();
        while (r.Read()) list.Add(new Entry(r.GetInt64(0), r.GetString(1), r.GetString(2)));
        return list;
    }

    private static long MaxSeq(string data) => Entries(data, 0).Select(e => e.Seq).DefaultIfEmpty(0).Max();

    private static int Count(string data, string kind) => Entries(data, 0).Count(e => e.Kind == kind);

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(45);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("gave up waiting for " + what);
            await Task.Delay(100);
        }
    }
}

/// <summary>
/// `capstan up` on a pseudo-terminal, as a person runs it: util-linux `script` gives it a terminal whose foreground
/// process group is Capstan's, and a \x03 written to that terminal is Ctrl+C (SIGINT to the whole group).
/// </summary>
public sealed class TerminalServer : IAsyncDisposable
{
    private readonly Process _script;
    private readonly StringBuilder _output = new();
    private readonly string _data;

    private TerminalServer(Process script, string data)
    {
        _script = script;
        _data = data;
    }

    public string Output { get { lock (_output) return _output.ToString(); } }

    public static async Task<TerminalServer> StartAsync(string data, int port)
    {
        // exec: the terminal's session leader becomes capstan itself (its group is the terminal's foreground group);
        // env --default-signal=INT as in CapstanServer (a test run in the background has SIGINT ignored).
        var command = $"exec env --default-signal=INT '{CapstanExe.Path}' up --data '{data}' --port {port.ToString(CultureInfo.InvariantCulture)}";
        var psi = new ProcessStartInfo("script") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-qfec", command, "/dev/null" }) psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        TestClock.Apply(psi);
        var script = Process.Start(psi)!;
        var server = new TerminalServer(script, data);
        script.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (server._output) server._output.AppendLine(e.Data); };
        script.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (server._output) server._output.AppendLine(e.Data); };
        script.BeginOutputReadLine();
        script.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!server.Output.Contains("Press Ctrl+C to stop.", StringComparison.Ordinal))
        {
            if (script.HasExited) throw new InvalidOperationException($"capstan up exited with {script.ExitCode}:\n{server.Output}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException("capstan up did not start within 60 s:\n" + server.Output);
            await Task.Delay(50);
        }
        return server;
    }

    private int ServerPid => JsonDocument.Parse(File.ReadAllText(Path.Combine(_data, "server.json"))).RootElement.GetProperty("Pid").GetInt32();

    /// <summary>Types Ctrl+C on the terminal and returns capstan's exit code (script -e passes it on).</summary>
    public async Task<int> TypeCtrlCAsync()
    {
        await _script.StandardInput.WriteAsync('\u0003');
        await _script.StandardInput.FlushAsync();
        return await ExitAsync("Ctrl+C");
    }

    /// <summary>Sends a signal with kill, to the server or to its whole process group.</summary>
    public async Task<int> SignalAsync(string signal, bool group)
    {
        var pid = ServerPid;
        var stat = await File.ReadAllTextAsync($"/proc/{pid}/stat");
        var pgid = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[2];
        var target = group ? "-" + pgid : pid.ToString(CultureInfo.InvariantCulture);
        using var kill = Process.Start("kill", [signal, "--", target])!;
        await kill.WaitForExitAsync();
        return await ExitAsync($"kill {signal} {target}");
    }

    private async Task<int> ExitAsync(string how)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _script.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"capstan up did not exit within 30 s of {how}; its output:\n{Output}");
        }
        Assert.Contains("Capstan stopped.", Output);
        return _script.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_script.HasExited)
        {
            try { await TypeCtrlCAsync(); }
            catch (TimeoutException) { _script.Kill(true); }
        }
        _script.Dispose();
    }
}
