using System.Net;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;

namespace Capstan.EndToEnd.Tests;

/// <summary>
/// What a person sees when something goes wrong: a busy port is one sentence, a bad commit on main does not stop
/// the CLI's verbs, and errors of background work are written to the data folder's log without secrets.
/// </summary>
public sealed class ErrorsAreSeenTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "capstan-e2e-errors-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_data, true); } catch (IOException) { }
        try { Directory.Delete(_data + "-clone", true); } catch (IOException) { }
    }

    [Fact]
    public async Task Up_on_a_busy_port_says_so_in_one_sentence_and_exits_1()
    {
        using var other = new TcpListener(IPAddress.Loopback, 0);
        other.Start();
        var port = ((IPEndPoint)other.LocalEndpoint).Port;

        var run = await CapstanExe.RunAsync("up", "--data", _data, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(1, run.ExitCode);
        var lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, "expected one sentence on stderr, got:\n" + run.Error + run.Output);
        Assert.Contains($"port {port} on 127.0.0.1 is in use by another program", lines[0]);
        Assert.Contains("--port N", lines[0]);
    }

    [Fact]
    public async Task Token_create_signin_link_and_say_use_the_last_good_configuration_after_a_bad_commit_reached_main()
    {
        await using (var seeded = await CapstanServer.StartAsync(_data)) await seeded.StopAsync();
        var good = (await GitAsync("--git-dir", ConfigRepo, "rev-parse", "main")).Trim();
        // Written into the repo without a push (so no hook can refuse it), as an old push or a hand edit would have.
        await CommitToMainAsync(yaml => yaml.Replace("roles: [deployer]", "roles: [deployr]", StringComparison.Ordinal), "Bob deploys (typo)");

        var token = await CapstanExe.RunAsync("token", "create", "--data", _data, "--person", "bob");
        Assert.True(token.ExitCode == 0, token.Error);
        Assert.Matches(CapstanExe.Token(), token.Output);
        AssertNotice(token.Error, good);

        var link = await CapstanExe.RunAsync("signin-link", "--data", _data, "--person", "bob");
        Assert.True(link.ExitCode == 0, link.Error);
        Assert.Matches(CapstanExe.SignInLink(), link.Output);
        AssertNotice(link.Error, good);

        var say = await CapstanExe.RunAsync("say", "--data", _data, "--as", "bob", "--wait", "0", "whoami");
        Assert.True(say.ExitCode == 0, say.Error);
        Assert.Contains("Roles: deployer", say.Output);
        AssertNotice(say.Error, good);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // file modes are checked as on the Linux hosts Capstan runs on
    public async Task The_log_file_in_the_data_folder_records_a_failing_background_step_without_the_secret_in_it()
    {
        // A configured secret (the alert token) that a failure's own message would carry: here the unreadable commit id.
        const string secret = "0123456789abcdef0123456789abcdef01234567";
        await using (var seeded = await CapstanServer.StartAsync(_data)) await seeded.StopAsync();
        Directory.Delete(Path.Combine(_data, "logs"), true); // what this first start logged at the default level
        await CommitToMainAsync(yaml => yaml.Replace("  alerts:\n", $"  alerts:\n    token: \"{secret}\"\n", StringComparison.Ordinal) + "\nlogging: { level: debug }\n", "Alertmanager token");

        // The flag wins over capstan.yaml's logging.level.
        await using var server = await CapstanServer.StartAsync(_data, null, "--log-level", "warning");
        // main now names a commit that is not in the repo: the config reloader's next read fails.
        await File.WriteAllTextAsync(Path.Combine(ConfigRepo, "refs", "heads", "main"), secret + "\n");

        var logs = Path.Combine(_data, "logs");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        string text;
        while (!(text = ReadLogs(logs)).Contains("Could not read the config repo's newest commit", StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no logged error in {logs} within 30 s; it has:\n{text}\nserver output:\n{server.Output}");
            await Task.Delay(100);
        }
        Assert.Contains("[WRN] Capstan.Core.Config.ConfigReloader", text);
        Assert.Contains("System.ArgumentException: no commit [redacted] in the config repo", text); // the exception, redacted
        Assert.DoesNotContain(secret, text);
        Assert.DoesNotContain(secret, server.Output);
        Assert.DoesNotContain("[INF]", text);
        Assert.DoesNotContain("[DBG]", text);

        var file = Assert.Single(Directory.GetFiles(logs, "capstan-*.log"));
        Assert.Matches(@"capstan-\d{8}\.log$", file);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(logs));
    }

    private string ConfigRepo => Path.Combine(_data, "config.git");

    private static void AssertNotice(string stderr, string good)
    {
        var notice = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.Contains("newest commit", StringComparison.Ordinal));
        Assert.Contains("is invalid (capstan.yaml:", notice);
        Assert.Contains("unknown role 'deployr'", notice);
        Assert.Contains($"using the last good configuration, {good[..7]}", notice);
    }

    /// <summary>Commits an edit of capstan.yaml in a clone and moves main to it with plumbing: no push, so no hook runs.</summary>
    private async Task CommitToMainAsync(Func<string, string> edit, string subject)
    {
        var clone = _data + "-clone";
        if (Directory.Exists(clone)) Directory.Delete(clone, true);
        await GitAsync("clone", "--quiet", ConfigRepo, clone);
        var yaml = Path.Combine(clone, "capstan.yaml");
        var before = await File.ReadAllTextAsync(yaml);
        var after = edit(before);
        Assert.NotEqual(before, after);
        await File.WriteAllTextAsync(yaml, after);
        await GitAsync("-C", clone, "-c", "user.name=Mallory", "-c", "user.email=mallory@example.com", "commit", "--quiet", "--no-verify", "-am", subject);
        var sha = (await GitAsync("-C", clone, "rev-parse", "HEAD")).Trim();
        await GitAsync("--git-dir", ConfigRepo, "fetch", "--quiet", clone, "HEAD:refs/heads/side");
        await GitAsync("--git-dir", ConfigRepo, "update-ref", "refs/heads/main", sha);
    }


    private static Task<string> GitAsync(params string[] args) => CapstanExe.GitAsync(null, args);

    private static string ReadLogs(string folder)
    {
        if (!Directory.Exists(folder)) return "";
        // The server holds the file open for writing; read it shared.
        return string.Concat(Directory.GetFiles(folder).Select(f =>
        {
            using var s = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return new StreamReader(s).ReadToEnd();
        }));
    }
}
