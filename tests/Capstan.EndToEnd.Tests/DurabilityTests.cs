using Capstan.Testing;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Capstan.EndToEnd.Tests;

public sealed class DurabilityTests
{
    [Fact]
    public async Task Every_answered_message_survives_a_hard_crash()
    {
        await using var server = await CapstanServer.StartAsync();
        var token = (await CapstanExe.RunAsync("token", "create", "--data", server.Data, "--person", "bob")).Output.Trim();
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var answered = new List<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 60), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var res = await http.PostAsJsonAsync("/api/rooms/ops/messages", new { text = $"note {i}", addressed = false }, ct);
            var body = await res.Content.ReadFromJsonAsync<JsonElement>(ct);
            lock (answered) answered.Add(body.GetProperty("messageId").GetString()!);
        });
        var pid = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(server.Data, "server.json"))).RootElement.GetProperty("Pid").GetInt32();
        Process.GetProcessById(pid).Kill();
        await Process.GetProcessById(pid).WaitForExitAsync().ContinueWith(_ => { });

        var history = await CapstanExe.RunAsync("say", "--data", server.Data, "--as", "alice", "history 200 in ops by bob");
        Assert.Equal(0, history.ExitCode);
        for (var i = 0; i < 60; i++) Assert.Contains($"note {i}", history.Output);
        var verify = await CapstanExe.RunAsync("ledger", "verify", "--data", server.Data);
        Assert.Equal(0, verify.ExitCode);

        // After the crash the demo apps kept running; a new server adopts them, and a clean stop stops them.
        await using var again = await CapstanServer.StartAsync(server.Data, server.Port);
        var code = await again.StopAsync();
        Assert.True(code == 0, $"the restarted server exited with {code}:\n{again.Output}");
    }
}

public sealed class TerminalChatTests
{
    [Fact]
    public async Task Chat_reads_lines_prints_history_and_replies_without_colours_when_piped()
    {
        await using var server = await CapstanServer.StartAsync();
        await CapstanExe.RunAsync("say", "--data", server.Data, "--as", "carol", "--room", "dev", "--chat", "earlier words");
        var psi = new ProcessStartInfo(CapstanExe.Path) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "chat", "--data", server.Data, "--as", "bob", "--room", "dev" }) psi.ArgumentList.Add(a);
        TestClock.Apply(psi);
        using var p = Process.Start(psi)!;
        await p.StandardInput.WriteLineAsync("whoami");
        await p.StandardInput.WriteLineAsync("/quit");
        p.StandardInput.Close();
        var output = await p.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(timeout.Token);
        Assert.Equal(0, p.ExitCode);
        Assert.Contains("carol: earlier words", output);
        Assert.Contains("You are bob", output);
        Assert.DoesNotContain("\u001b[", output);
    }
}
