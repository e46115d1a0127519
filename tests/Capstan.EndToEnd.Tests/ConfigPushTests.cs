namespace Capstan.EndToEnd.Tests;

/// <summary>The embedded config repo refuses, in the push itself, a main that does not validate.</summary>
public sealed class ConfigPushTests : IAsyncLifetime
{
    private CapstanServer _server = null!;
    private string _checkout = null!;

    private string Bare => Path.Combine(_server.Data, "config.git");

    public async Task InitializeAsync()
    {
        _server = await CapstanServer.StartAsync();
        _checkout = Path.Combine(Path.GetTempPath(), "capstan-push-" + Guid.NewGuid().ToString("N")[..8]);
        await MustAsync(Path.GetTempPath(), "git", "clone", "--quiet", Bare, _checkout);
        await MustAsync(_checkout, "git", "config", "user.name", "Carol Viewer");
        await MustAsync(_checkout, "git", "config", "user.email", "carol@example.com");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_server.Data, true);
        Directory.Delete(_checkout, true);
    }

    [Fact]
    public async Task A_push_with_configuration_errors_is_refused_with_file_line_and_column_and_main_is_unchanged()
    {
        var main = await MainAsync();
        await EditCapstanYamlAsync("roles: [viewer]", "roles: [deployr]", "carol deploys too (typo)");

        var push = await RunAsync(_checkout, "git", "push", "origin", "HEAD:main");
        Assert.NotEqual(0, push.ExitCode);
        Assert.Contains("remote: capstan.yaml:24:13: unknown role 'deployr' — did you mean 'deployer'?", push.Error);
        Assert.Contains("pre-receive hook declined", push.Error);
        Assert.Equal(main, await MainAsync());

        // Other branches are not main's business; Capstan's own refs (the ledger's signed anchors) are nobody else's.
        Assert.Equal(0, (await RunAsync(_checkout, "git", "push", "--quiet", "origin", "HEAD:refs/heads/wip")).ExitCode);
        var anchors = await RunAsync(_checkout, "git", "push", "origin", "HEAD:refs/capstan/ledger-anchors");
        Assert.NotEqual(0, anchors.ExitCode);
        Assert.Contains("refs/capstan/ledger-anchors is written by Capstan only", anchors.Error);
        Assert.Equal(main, await MainAsync());

        // The same check before pushing, from the checkout's top and from a folder inside it.
        var here = await RunAsync(_checkout, CapstanExe.Path, "validate", ".");
        Assert.Equal(1, here.ExitCode);
        Assert.Contains("capstan.yaml:24:13: unknown role 'deployr' — did you mean 'deployer'?", here.Output);
        var inside = await RunAsync(Path.Combine(_checkout, "environments", "staging"), CapstanExe.Path, "validate");
        Assert.Equal(1, inside.ExitCode);
        Assert.Contains("capstan.yaml:24:13: unknown role 'deployr'", inside.Output);

        await MustAsync(_checkout, "git", "reset", "--quiet", "--hard", "origin/main");
        var fixedHere = await RunAsync(_checkout, CapstanExe.Path, "validate", ".");
        Assert.True(fixedHere.ExitCode == 0, fixedHere.Output + fixedHere.Error);
        Assert.Contains("Configuration is valid", fixedHere.Output);
    }

    [Fact]
    public async Task A_valid_push_is_accepted_and_applied()
    {
        await EditCapstanYamlAsync("roles: [viewer]", "roles: [viewer, deployer]", "carol deploys too");
        var push = await RunAsync(_checkout, "git", "push", "origin", "HEAD:main");
        Assert.True(push.ExitCode == 0, push.Error);
        Assert.Equal((await MustAsync(_checkout, "git", "rev-parse", "HEAD")).Trim(), await MainAsync());

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var whoami = await CapstanExe.RunAsync("say", "--data", _server.Data, "--as", "carol", "whoami");
            if (whoami.Output.Contains("Roles: viewer, deployer", StringComparison.Ordinal)) break;
            Assert.True(DateTime.UtcNow < deadline, "the pushed configuration was not applied within 60 s: " + whoami.Output + whoami.Error);
            await Task.Delay(200);
        }
    }

    private async Task EditCapstanYamlAsync(string from, string to, string message)
    {
        var file = Path.Combine(_checkout, "capstan.yaml");
        var lines = await File.ReadAllLinesAsync(file);
        Assert.Contains(from, lines[23]); // carol's roles, line 24 of the seeded file
        lines[23] = lines[23].Replace(from, to, StringComparison.Ordinal);
        await File.WriteAllLinesAsync(file, lines);
        await MustAsync(_checkout, "git", "commit", "--quiet", "-am", message);
    }

    private async Task<string> MainAsync() => (await MustAsync(Bare, "git", "rev-parse", "main")).Trim();

    private static async Task<string> MustAsync(string dir, string file, params string[] args)
    {
        var r = await RunAsync(dir, file, args);
        Assert.True(r.ExitCode == 0, $"{file} {string.Join(' ', args)} failed: {r.Error}");
        return r.Output;
    }

    private static Task<CapstanExe.Run> RunAsync(string dir, string file, params string[] args) => CapstanExe.RunInAsync(dir, file, args);
}
