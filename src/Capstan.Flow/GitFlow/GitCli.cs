
namespace Capstan.Flow.GitFlow;

/// <summary>Runs the git command line for network operations (through <see cref="GitRunner"/>), so SSH keys and credential helpers work.</summary>
internal static class GitCli
{
    /// <summary>Runs git and turns a failure into a sentence naming what failed and git's own reason.</summary>
    public static async Task<GitRunner.Result> RequireAsync(string workingDirectory, string whatFailed, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        GitRunner.Result result;
        try { result = await GitRunner.RunAsync(workingDirectory, arguments, cancellationToken); }
        catch (InvalidOperationException ex) when (ex.Message == GitRunner.Missing) { throw new FlowException(GitRunner.Missing); }
        if (!result.Ok)
        {
            var reason = (result.Error + result.Output).Trim();
            throw new FlowException($"{whatFailed}: {reason} Check the remote and your access to it, then run the command again.");
        }
        return result;
    }
}
