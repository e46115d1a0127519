using System.Diagnostics;

namespace Capstan.Flow.Tests.Support;

/// <summary>Runs the real git CLI for tests, with arguments passed as argv.</summary>
public static class Git
{
    public sealed record Result(int ExitCode, string Output, string Error);

    public static Result Run(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var psi = new ProcessStartInfo("git")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["GIT_MERGE_AUTOEDIT"] = "no";
        psi.Environment["GIT_EDITOR"] = "true";
        psi.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        if (environment is not null)
            foreach (var (k, v) in environment) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return new Result(p.ExitCode, stdout.Result, stderr);
    }

    public static string Ok(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var r = Run(workingDirectory, environment, args);
        if (r.ExitCode != 0)
            throw new InvalidOperationException($"git {string.Join(' ', args)} failed ({r.ExitCode}): {r.Error}{r.Output}");
        return r.Output;
    }
}
