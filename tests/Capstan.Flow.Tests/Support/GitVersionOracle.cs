using System.Reflection;
using System.Runtime.Loader;
using System.Text.Json;

namespace Capstan.Flow.Tests.Support;

/// <summary>
/// Runs the real GitVersion 6.8.2 (gitversion.dll from the GitVersion.MsBuild package) and returns its JSON variables.
/// gitversion.dll is loaded once into its own load context and its Main is called per repository, exactly as
/// "dotnet gitversion.dll REPO /nocache /output file" would run it, so hundreds of runs cost milliseconds each
/// instead of a process start and JIT each.
/// </summary>
public static class GitVersionOracle
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static MethodInfo? entryPoint;

    public static string DllPath
    {
        get
        {
            var fromBuild = typeof(GitVersionOracle).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => a.Key == "GitVersionDll")?.Value;
            if (fromBuild is not null && File.Exists(fromBuild)) return fromBuild;
            var home = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                       ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            var cached = Path.Combine(home, "gitversion.msbuild", "6.8.2", "tools", "net10.0", "gitversion.dll");
            if (File.Exists(cached)) return cached;
            throw new InvalidOperationException("gitversion.dll 6.8.2 was not found; restore the test project (it references GitVersion.MsBuild 6.8.2).");
        }
    }

    public static async Task<Dictionary<string, string?>> RunAsync(string repository, string branch, CancellationToken cancellationToken = default)
    {
        var scratch = Path.Combine(Path.GetTempPath(), "capstan-gitversion-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(scratch);
        var outputFile = Path.Combine(scratch, "version.json");
        var logFile = Path.Combine(scratch, "gitversion.log");
        // GitVersion sets the process exit code and logs through the console, so one run at a time.
        await Gate.WaitAsync(cancellationToken);
        int exitCode;
        try
        {
            entryPoint ??= Load();
            Environment.ExitCode = 0;
            string[] args = [repository, "/nocache", "/output", "file", "/outputfile", outputFile, "/b", branch, "/verbosity", "Quiet", "/l", logFile];
            var main = entryPoint;
            // Off the test framework's synchronisation context, as a console program would run.
            await Task.Run(() => main.Invoke(null, [args]) as Task ?? Task.CompletedTask, cancellationToken);
            exitCode = Environment.ExitCode;
            Environment.ExitCode = 0;
        }
        finally { Gate.Release(); }
        try
        {
            if (exitCode != 0 || !File.Exists(outputFile))
                throw new InvalidOperationException($"gitversion failed on {repository} ({branch}), exit code {exitCode}: {(File.Exists(logFile) ? await File.ReadAllTextAsync(logFile, cancellationToken) : "no log")}");
            using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(outputFile, cancellationToken));
            return ToDictionary(doc);
        }
        finally { Directory.Delete(scratch, recursive: true); }
    }

    /// <summary>The same run as a separate "dotnet gitversion.dll … /output json" process, to check the in-process runs against.</summary>
    public static async Task<Dictionary<string, string?>> RunProcessAsync(string repository, string branch, CancellationToken cancellationToken = default)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { DllPath, repository, "/nocache", "/output", "json", "/b", branch }) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = p.StandardError.ReadToEndAsync(cancellationToken);
        await p.WaitForExitAsync(cancellationToken);
        var text = await stdout;
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"gitversion failed on {repository} ({branch}): {await stderr}{text}");
        using var doc = JsonDocument.Parse(text[text.IndexOf('{')..]);
        return ToDictionary(doc);
    }

    private static Dictionary<string, string?> ToDictionary(JsonDocument doc) =>
        doc.RootElement.EnumerateObject().ToDictionary(
            p => p.Name,
            p => p.Value.ValueKind switch
            {
                JsonValueKind.Null => null,
                JsonValueKind.String => p.Value.GetString(),
                _ => p.Value.GetRawText(),
            });

    private static MethodInfo Load()
    {
        var path = DllPath;
        // GitVersion's host watches appsettings.json for changes and never disposes the watcher; hundreds of runs in one
        // process would exhaust inotify instances, and a console run exits before it matters.
        Environment.SetEnvironmentVariable("DOTNET_hostBuilder__reloadConfigOnChange", "false");
        var assembly = new GitVersionLoadContext(path).LoadFromAssemblyPath(path);
        return assembly.EntryPoint ?? throw new InvalidOperationException($"{path} has no entry point.");
    }

    /// <summary>Keeps GitVersion's LibGit2Sharp and Microsoft.Extensions versions apart from the test's own.</summary>
    private sealed class GitVersionLoadContext(string mainAssembly) : AssemblyLoadContext("gitversion-6.8.2")
    {
        private readonly AssemblyDependencyResolver resolver = new(mainAssembly);

        protected override Assembly? Load(AssemblyName assemblyName) =>
            resolver.ResolveAssemblyToPath(assemblyName) is { } path ? LoadFromAssemblyPath(path) : null;

        protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
            resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } path ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;
    }
}
