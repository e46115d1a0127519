using System.Diagnostics;

namespace Capstan.Flow.GitFlow;

/// <summary>Runs git-flow AVH's pre-flow-* and post-flow-* hook scripts with the arguments AVH passes.</summary>
internal sealed class FlowHooks(FlowConfiguration configuration, string workTree)
{
    /// <summary>Runs pre-flow-KIND-ACTION; a non-zero exit refuses the operation.</summary>
    public async Task RunPreAsync(string command, string action, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var exit = await RunAsync($"pre-flow-{command}-{action}", arguments, cancellationToken);
        if (exit is { } code && code != 0)
            throw new FlowException($"The hook pre-flow-{command}-{action} refused the {command} {action} (exit code {code}); nothing was changed. Fix what the hook reports, then run the command again.");
    }

    /// <summary>Runs post-flow-KIND-ACTION; like AVH, its exit code is ignored.</summary>
    public Task RunPostAsync(string command, string action, IReadOnlyList<string> arguments, CancellationToken cancellationToken) =>
        RunAsync($"post-flow-{command}-{action}", arguments, cancellationToken);

    private async Task<int?> RunAsync(string name, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var path = Path.Combine(configuration.HooksPath, name);
        if (!File.Exists(path)) return null;
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) == 0)
            return null;
        var psi = new ProcessStartInfo(path) { WorkingDirectory = workTree, UseShellExecute = false };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        psi.Environment["MASTER_BRANCH"] = configuration.MainBranch;
        psi.Environment["DEVELOP_BRANCH"] = configuration.DevelopBranch;
        psi.Environment["ORIGIN"] = configuration.Origin;
        psi.Environment["HOOKS_DIR"] = configuration.HooksPath;
        using var process = Process.Start(psi)!;
        await process.WaitForExitAsync(cancellationToken);
        return process.ExitCode;
    }
}
