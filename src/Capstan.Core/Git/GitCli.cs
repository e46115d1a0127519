using Capstan.GitProcess;

namespace Capstan.Core.Git;

/// <summary>Runs the git command line with arguments passed as argv (never through a shell), in the C locale, through <see cref="GitRunner"/>.</summary>
public static class GitCli
{
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public bool Ok => ExitCode == 0;
    }

    /// <summary>Runs git to the end; throws <see cref="InvalidOperationException"/> when git is not installed.</summary>
    public static async Task<Result> RunAsync(string workingDirectory, IEnumerable<string> arguments, CancellationToken ct, string? input = null, IDictionary<string, string>? environment = null)
    {
        var r = await GitRunner.RunAsync(workingDirectory, arguments, ct, input, CLocale(environment));
        return new Result(r.ExitCode, r.Output, r.Error);
    }

    /// <summary>Runs git feeding <paramref name="input"/> while <paramref name="readOutput"/> reads its output as bytes.</summary>
    public static async Task<Result> StreamAsync(string workingDirectory, IEnumerable<string> arguments, string input, Func<Stream, CancellationToken, Task> readOutput, CancellationToken ct)
    {
        var r = await GitRunner.StreamAsync(workingDirectory, arguments, input, readOutput, ct, CLocale(null));
        return new Result(r.ExitCode, r.Output, r.Error);
    }

    // Git's messages are parsed and quoted in English whatever the server's locale.
    private static Dictionary<string, string> CLocale(IDictionary<string, string>? environment)
    {
        var all = new Dictionary<string, string>(StringComparer.Ordinal) { ["LC_ALL"] = "C" };
        if (environment is not null) foreach (var (k, v) in environment) all[k] = v;
        return all;
    }
}
