using System.Diagnostics;
using System.Reflection;
using System.Text.Json;

namespace Capstan.Flow.Tests.Support;

/// <summary>Runs the real GitVersion 6.8.2 (from the GitVersion.MsBuild package) and returns its JSON variables.</summary>
public static class GitVersionOracle
{
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
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { DllPath, repository, "/nocache", "/output", "json", "/b", branch }) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_TieredPGO"] = "0";
        psi.Environment["DOTNET_TC_QuickJitForLoops"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = p.StandardError.ReadToEndAsync(cancellationToken);
        await p.WaitForExitAsync(cancellationToken);
        var text = await stdout;
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"gitversion failed on {repository} ({branch}): {await stderr}{text}");
        var start = text.IndexOf('{');
        using var doc = JsonDocument.Parse(text[start..]);
        return doc.RootElement.EnumerateObject().ToDictionary(
            p => p.Name,
            p => p.Value.ValueKind switch
            {
                JsonValueKind.Null => null,
                JsonValueKind.String => p.Value.GetString(),
                _ => p.Value.GetRawText(),
            });
    }
}
