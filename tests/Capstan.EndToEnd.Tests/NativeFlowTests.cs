using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Capstan.EndToEnd.Tests;

/// <summary>
/// `capstan` is compiled ahead of time and runs the flow, version and changelog verbs itself; capstan-server (JIT) has
/// the same verbs. Both run here on identical repositories and must print, and leave behind, the same things.
/// </summary>
public sealed partial class NativeFlowTests : IDisposable
{
    private static readonly string Server = Path.Combine(Path.GetDirectoryName(CapstanExe.Path)!, "capstan-server");
    private readonly string _root = Path.Combine(Path.GetTempPath(), "capstan-native-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly Dictionary<string, string> _environment;

    public NativeFlowTests()
    {
        // The identity comes only from a global ~/.gitconfig (not the repository's), so the test also shows that the
        // native build reads it: that is one of the libgit2 calls NativeAOT broke before build/GitBufPatch.
        var home = Path.Combine(_root, "home");
        Directory.CreateDirectory(home);
        File.WriteAllText(Path.Combine(home, ".gitconfig"), "[user]\n\tname = Native Test\n\temail = native@example.com\n[init]\n\tdefaultBranch = main\n");
        _environment = new() { ["HOME"] = home, ["XDG_CONFIG_HOME"] = Path.Combine(home, ".config"), ["GIT_CONFIG_NOSYSTEM"] = "1", ["NO_COLOR"] = "1" };
    }

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, true);
    }

    [Fact]
    public void The_capstan_executable_is_native_and_capstan_server_is_the_jit_app()
    {
        Assert.True(new FileInfo(CapstanExe.Path).Length > 1_000_000, "capstan should be the Native AOT executable, not an app host");
        Assert.True(File.Exists(Server), $"{Server} should be built beside capstan");
        Assert.True(File.Exists(Server + ".dll"));
    }

    [Fact]
    public void Version_prints_what_capstan_server_prints_computed_or_cached()
    {
        var repo = NewRepository("version");
        string[][] cases =
        [
            ["version", "--repo", repo, "--no-cache"],
            ["version", "--repo", repo, "--no-cache", "--output", "text"],
            ["version", "--repo", repo, "--no-cache", "--show-variable", "FullSemVer"],
            ["version", "--repo", repo, "--no-cache", "--branch", "main", "--show-variable", "InformationalVersion"],
            ["version", "explain", "--repo", repo],
            ["version", "--repo", repo, "--show-variable", "NoSuchVariable"],
            ["version", "--repo", Path.Combine(_root, "nowhere")],
        ];
        foreach (var args in cases) Assert.Equal(Run(Server, args), Run(CapstanExe.Path, args));

        // The cache: computed by one, read by the other, both ways round; the plain forms take the cached fast path.
        string[][] cached =
        [
            ["version", "--repo", repo],
            ["version", "--repo", repo, "--output", "text"],
            ["version", "--repo", repo, "--show-variable", "SemVer", "--branch", "develop"],
        ];
        var computedByNative = cached.Select(a => Run(CapstanExe.Path, a)).ToList();
        Assert.Equal(computedByNative, cached.Select(a => Run(Server, a)).ToList());
        Git(repo, "commit", "-q", "--allow-empty", "-m", "feat: one more");
        var computedByServer = cached.Select(a => Run(Server, a)).ToList();
        Assert.Equal(computedByServer, cached.Select(a => Run(CapstanExe.Path, a)).ToList());
        Assert.NotEqual(computedByNative, computedByServer);
        Assert.All(computedByServer, r => Assert.Equal(0, r.ExitCode));
    }

    [Fact]
    public void Flow_verbs_leave_the_same_branches_commits_tags_and_config_as_capstan_server()
    {
        string[][] steps =
        [
            ["flow", "init", "-d"],
            ["flow", "feature", "start", "login"],
            ["!commit", "login.txt"],
            ["flow", "feature", "finish", "--no-ff"],
            ["flow", "feature", "start", "shared"],
            ["!commit", "shared.txt"],
            ["flow", "feature", "publish"],
            ["flow", "feature", "list", "-v"],
            ["flow", "release", "start", "1.0.0"],
            ["!commit", "VERSION"],
            // A message git would clean up: trailing spaces, repeated blank lines (libgit2 prettifies it).
            ["flow", "release", "finish", "-m", "Release 1.0.0   \n\n\n\nThe first one.  \n\n"],
            ["flow", "hotfix", "start", "1.0.1"],
            ["!commit", "fix.txt"],
            ["flow", "hotfix", "finish", "-m", "Hotfix 1.0.1"],
            ["flow", "release", "start", "1.1.0"],
            ["!commit", "VERSION"],
            ["!conflict", "develop", "VERSION"],
            ["flow", "release", "finish", "-m", "Release 1.1.0"],
            ["flow", "status"],
            ["flow", "abort"],
            ["flow", "release", "finish", "-m", "Release 1.1.0", "--nobackmerge", "--nodevelopmerge"],
            ["version", "--show-variable", "FullSemVer"],
            ["changelog", "1.0.0..1.1.0"],
            ["flow", "feature", "finish", "nope"],
            ["flow", "nope"],
        ];
        var native = Replay(CapstanExe.Path, "native", steps);
        var server = Replay(Server, "server", steps);
        Assert.Equal(server.Outputs, native.Outputs);
        Assert.Equal(server.State, native.State);
        // The replay really did something: the tags, the cleaned-up message, the tracking branch from the global identity.
        Assert.Contains("refs/tags/1.0.0 tag Release 1.0.0\n\nThe first one.\n", native.State);
        Assert.Contains("branch.feature/shared.merge=refs/heads/feature/shared", native.State);
        Assert.Contains("Native Test <native@example.com>", native.State);
    }

    private sealed record Replayed(List<string> Outputs, string State);

    private Replayed Replay(string exe, string name, string[][] steps)
    {
        var repo = Path.Combine(_root, name);
        var origin = Path.Combine(_root, name + "-origin.git");
        Git(_root, "init", "-q", "--bare", origin);
        Git(_root, "init", "-q", repo);
        Commit(repo, "README.md");
        Git(repo, "remote", "add", "origin", origin);
        var outputs = new List<string>();
        foreach (var step in steps)
        {
            switch (step[0])
            {
                case "!commit":
                    Commit(repo, step[1]);
                    break;
                case "!conflict":
                    var current = Git(repo, "rev-parse", "--abbrev-ref", "HEAD").Trim();
                    Git(repo, "checkout", "-q", step[1]);
                    File.WriteAllText(Path.Combine(repo, step[2]), "conflicting " + step[1] + "\n");
                    Git(repo, "add", step[2]);
                    Git(repo, "commit", "-q", "-m", "conflicting change on " + step[1]);
                    Git(repo, "checkout", "-q", current);
                    break;
                default:
                    var r = Run(exe, [.. step, "--repo", repo]);
                    // Shas and times differ between the two replays (commits are made seconds apart); nothing else may.
                    outputs.Add($"{string.Join(' ', step)} → {r.ExitCode}\n{Normalize(r.Output, repo, origin)}\n{Normalize(r.Error, repo, origin)}");
                    break;
            }
        }
        var state = new System.Text.StringBuilder();
        foreach (var line in Git(repo, "for-each-ref", "--format=%(refname) %(objecttype)").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var refName = line.Split(' ')[0];
            state.Append(line).Append(' ').Append(line.EndsWith(" tag", StringComparison.Ordinal) ? Git(repo, "tag", "-l", "--format=%(contents)", refName["refs/tags/".Length..]) : "").Append('\n');
            state.Append(Git(repo, "log", "--topo-order", "--format=%T %p|%an <%ae>|%cn <%ce>%n%B", refName));
        }
        state.Append(Git(repo, "status", "--porcelain=v1", "--branch"));
        foreach (var c in Git(repo, "config", "--local", "--list").Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal))
            if (!c.StartsWith("remote.origin.url=", StringComparison.Ordinal)) state.Append(c.Replace(repo, "REPO", StringComparison.Ordinal)).Append('\n');
        return new Replayed(outputs, ParentShas().Replace(state.ToString(), m => $"{m.Groups[1].Value} parents:{m.Groups[2].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length}|"));
    }

    private static string Normalize(string text, string repo, string origin) =>
        Sha().Replace(Timestamp().Replace(text.Replace(origin, "ORIGIN", StringComparison.Ordinal).Replace(repo, "REPO", StringComparison.Ordinal), "TIME"), "SHA");

    [GeneratedRegex(@"\b[0-9a-f]{7,40}\b")]
    private static partial Regex Sha();

    [GeneratedRegex(@"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:?\d\d|Z)?")]
    private static partial Regex Timestamp();

    // "TREE PARENT PARENT|" in the log lines above: the tree must match, the parents only in number.
    [GeneratedRegex(@"^([0-9a-f]{40}) ([0-9a-f ]*)\|", RegexOptions.Multiline)]
    private static partial Regex ParentShas();

    private string NewRepository(string name)
    {
        var repo = Path.Combine(_root, name);
        Git(_root, "init", "-q", repo);
        Commit(repo, "README.md");
        Git(repo, "tag", "1.0.0");
        Git(repo, "checkout", "-q", "-b", "develop");
        Commit(repo, "a.txt", "feat: a");
        Commit(repo, "b.txt", "fix: b +semver: minor");
        return repo;
    }

    private void Commit(string repo, string file, string? message = null)
    {
        // The same content in every replay, so the trees can be compared.
        var path = Path.Combine(repo, file);
        File.AppendAllText(path, $"{file} {(File.Exists(path) ? File.ReadAllLines(path).Length : 0)}\n");
        Git(repo, "add", file);
        Git(repo, "commit", "-q", "-m", message ?? "change " + file);
    }

    private string Git(string folder, params string[] args)
    {
        var r = Run("git", ["-C", folder, .. args]);
        if (r.ExitCode != 0) throw new InvalidOperationException($"git {string.Join(' ', args)} failed: {r.Error}");
        return r.Output;
    }

    private CapstanExe.Run Run(string exe, string[] args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in _environment) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2))) throw new TimeoutException($"{exe} {string.Join(' ', args)} did not finish within 2 minutes");
        return new CapstanExe.Run(p.ExitCode, output.Result, error.Result);
    }
}
