using System.ComponentModel;
using System.Text;
using CliWrap;

namespace Capstan.GitProcess;

/// <summary>
/// The one launcher of the git command line in Capstan (CliWrap): arguments go as argv, never through a shell; git
/// never prompts for a password (GIT_TERMINAL_PROMPT=0) or opens an editor for a merge message; a cancelled run kills
/// git. Capstan.Core and Capstan.Flow both run git through it (its own small project, so neither depends on the other).
/// Flow's version calculation is synchronous and streams git's output as it comes: it starts git with <see cref="Start"/> (the same argv and environment, as a plain process), because
/// CliWrap's async pipes would block a pool thread per calculation (see docs/architecture.md, "Libraries").
/// </summary>
public static class GitRunner
{
    /// <summary>What a git run ended with.</summary>
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public bool Ok => ExitCode == 0;
    }

    /// <summary>The sentence a user sees when there is no git to run.</summary>
    public const string Missing = "The git command was not found. Install git (for example 'apt-get install git') and try again.";

    private static readonly UTF8Encoding Utf8 = new(false);

    /// <summary>Runs git to the end and returns its exit code, output and error output (UTF-8).</summary>
    public static async Task<Result> RunAsync(string workingDirectory, IEnumerable<string> arguments, CancellationToken ct, string? input = null, IEnumerable<KeyValuePair<string, string>>? environment = null)
    {
        var output = new StringBuilder();
        var (exit, error) = await LaunchAsync(workingDirectory, arguments, input, PipeTarget.ToStringBuilder(output, Utf8), environment, ct);
        return new Result(exit, output.ToString(), error);
    }

    /// <summary>
    /// Runs git with <paramref name="input"/> on its standard input while <paramref name="readOutput"/> reads its
    /// standard output as bytes (for <c>git cat-file --batch</c>, whose output is not text). The result's Output is empty.
    /// </summary>
    public static async Task<Result> StreamAsync(string workingDirectory, IEnumerable<string> arguments, string input, Func<Stream, CancellationToken, Task> readOutput, CancellationToken ct, IEnumerable<KeyValuePair<string, string>>? environment = null)
    {
        var (exit, error) = await LaunchAsync(workingDirectory, arguments, input, PipeTarget.Create(readOutput), environment, ct);
        return new Result(exit, "", error);
    }

    /// <summary>
    /// Starts git on the repository at <paramref name="gitDir"/> for a synchronous reader: standard output and error are
    /// redirected (and standard input when <paramref name="input"/> is set); the caller reads them and waits for the exit.
    /// </summary>
    public static System.Diagnostics.Process Start(string gitDir, string workingDirectory, IEnumerable<string> arguments, bool input = false, IEnumerable<KeyValuePair<string, string>>? environment = null)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("git")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("--git-dir=" + gitDir);
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        foreach (var (name, value) in Defaults) psi.Environment[name] = value;
        if (environment is not null) foreach (var (name, value) in environment) psi.Environment[name] = value;
        try { return System.Diagnostics.Process.Start(psi)!; }
        catch (Win32Exception ex) { throw new InvalidOperationException(Missing, ex); }
    }

    private static readonly KeyValuePair<string, string>[] Defaults = [new("GIT_TERMINAL_PROMPT", "0"), new("GIT_MERGE_AUTOEDIT", "no")];

    private static async Task<(int Exit, string Error)> LaunchAsync(string workingDirectory, IEnumerable<string> arguments, string? input, PipeTarget output, IEnumerable<KeyValuePair<string, string>>? environment, CancellationToken ct)
    {
        var variables = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (name, value) in Defaults) variables[name] = value;
        if (environment is not null) foreach (var (name, value) in environment) variables[name] = value;
        var error = new StringBuilder();
        var command = Cli.Wrap("git")
            .WithArguments(arguments)
            .WithWorkingDirectory(workingDirectory)
            .WithEnvironmentVariables(variables)
            .WithStandardInputPipe(input is null ? PipeSource.Null : PipeSource.FromString(input, Utf8))
            .WithStandardOutputPipe(output)
            .WithStandardErrorPipe(PipeTarget.ToStringBuilder(error, Utf8))
            .WithValidation(CommandResultValidation.None); // the exit code is the caller's to judge
        try
        {
            var result = await command.ExecuteAsync(ct);
            return (result.ExitCode, error.ToString());
        }
        catch (Exception ex) when (ex is Win32Exception || ex.InnerException is Win32Exception)
        {
            throw new InvalidOperationException(Missing, ex);
        }
    }
}
