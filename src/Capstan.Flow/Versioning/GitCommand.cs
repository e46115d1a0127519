using System.ComponentModel;
using CliWrap;

namespace Capstan.Flow.Versioning;

/// <summary>
/// The git runs of the version calculation (for-each-ref, and log where the object reader cannot answer), through
/// CliWrap with argv only. They run to completion on the calling thread: the version verb computes synchronously.
/// </summary>
internal static class GitCommand
{
    /// <summary>git with <c>--git-dir</c> set to <paramref name="gitDirectory"/>, its exit code left to the caller.</summary>
    public static Command Start(string gitDirectory, IEnumerable<string> arguments, string? configParameters = null) =>
        Cli.Wrap("git")
            .WithArguments(["--git-dir=" + gitDirectory, .. arguments])
            .WithEnvironmentVariables(e =>
            {
                e.Set("GIT_TERMINAL_PROMPT", "0");
                if (configParameters is not null) e.Set("GIT_CONFIG_PARAMETERS", configParameters);
            })
            .WithValidation(CommandResultValidation.None);

    /// <summary>Runs <paramref name="command"/> and returns git's exit code.</summary>
    public static int Run(Command command)
    {
        try { return command.ExecuteAsync().GetAwaiter().GetResult().ExitCode; }
        catch (Exception e) when (e is Win32Exception || e.InnerException is Win32Exception)
        {
            throw new FlowException("The git command was not found. Install git (for example 'apt-get install git') and try again.");
        }
    }
}
