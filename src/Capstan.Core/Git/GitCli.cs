using System.Diagnostics;

namespace Capstan.Core.Git;

/// <summary>Runs the git command line with arguments passed as argv (never through a shell).</summary>
public static class GitCli
{
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public bool Ok => ExitCode == 0;
    }

    public static async Task<Result> RunAsync(string workingDirectory, IEnumerable<string> arguments, CancellationToken ct, string? input = null, IDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo("git")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            UseShellExecute = false,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        psi.Environment["GIT_TERMINAL_PROMPT"] = "0";
        psi.Environment["GIT_MERGE_AUTOEDIT"] = "no";
        psi.Environment["LC_ALL"] = "C";
        if (environment is not null) foreach (var (k, v) in environment) psi.Environment[k] = v;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start git; is it installed (apt-get install git)?");
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        if (input is not null)
        {
            await p.StandardInput.WriteAsync(input.AsMemory(), ct);
            p.StandardInput.Close();
        }
        try
        {
            await p.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw;
        }
        return new Result(p.ExitCode, await stdout, await stderr);
    }
}
