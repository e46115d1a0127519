using System.Diagnostics;

namespace Capstan.Web.Tests;

/// <summary>Runs the other programs the web tests set the scene with (git, sqlite3) and fails the test when one fails.</summary>
public static class Programs
{
    public static Task<string> GitAsync(string? folder, params string[] args) => RunAsync("git", folder, args);

    /// <summary>Runs <paramref name="program"/> in <paramref name="folder"/> (null: here) and returns what it printed.</summary>
    public static async Task<string> RunAsync(string program, string? folder, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (folder is not null) psi.WorkingDirectory = folder;
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, $"{program} {string.Join(' ', args)} exited {p.ExitCode}: {await stderr}");
        return await stdout;
    }
}
