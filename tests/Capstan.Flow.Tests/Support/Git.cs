using System.Diagnostics;

namespace Capstan.Flow.Tests.Support;

/// <summary>Runs the real git CLI for tests, with arguments passed as argv.</summary>
public static class Git
{
    public sealed record Result(int ExitCode, string Output, string Error);

    public static Result Run(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        RunWithInput(workingDirectory, environment, null, args);

    /// <summary>Runs git with <paramref name="input"/> on its standard input (for fast-import and other --stdin commands).</summary>
    public static Result RunWithInput(string workingDirectory, IReadOnlyDictionary<string, string>? environment, string? input, params string[] args)
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
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderrTask = p.StandardError.ReadToEndAsync();
        if (input is not null) p.StandardInput.Write(input);
        p.StandardInput.Close();
        var stderr = stderrTask.Result;
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
