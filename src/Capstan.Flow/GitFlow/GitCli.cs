using System.Diagnostics;

namespace Capstan.Flow.GitFlow;

/// <summary>Runs the git command line for network operations, so SSH keys and credential helpers work; arguments go as argv.</summary>
internal static class GitCli
{
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public bool Succeeded => ExitCode == 0;
    }

    public static async Task<Result> RunAsync(string workingDirectory, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo("git")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        psi.Environment["GIT_TERMINAL_PROMPT"] = "0";
        psi.Environment["GIT_MERGE_AUTOEDIT"] = "no";
        Process process;
        try { process = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new FlowException("The git command was not found. Install git (for example 'apt-get install git') and try again.");
        }
        using (process)
        {
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            try { await process.WaitForExitAsync(cancellationToken); }
            catch (OperationCanceledException)
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                throw;
            }
            return new Result(process.ExitCode, await stdout, await stderr);
        }
    }

    /// <summary>Runs git and turns a failure into a sentence naming what failed and git's own reason.</summary>
    public static async Task<Result> RequireAsync(string workingDirectory, string whatFailed, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var result = await RunAsync(workingDirectory, arguments, cancellationToken);
        if (!result.Succeeded)
        {
            var reason = (result.Error + result.Output).Trim();
            throw new FlowException($"{whatFailed}: {reason} Check the remote and your access to it, then run the command again.");
        }
        return result;
    }
}
