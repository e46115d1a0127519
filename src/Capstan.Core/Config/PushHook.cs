using System.Text;

namespace Capstan.Core.Config;

/// <summary>
/// Writes the config repo's <c>hooks/pre-receive</c>: a shell script that hands git's pre-receive lines to Capstan's
/// own executable (<see cref="PushGate"/>). Written at every start, so it follows the executable when it moves; a
/// pre-receive hook someone else wrote is left alone.
/// </summary>
public static class PushHook
{
    /// <summary>The line that marks the hook as Capstan's (and so Capstan's to rewrite).</summary>
    public const string Marker = "# capstan: pre-receive";

    /// <summary>
    /// Installs or refreshes the hook so that it runs <paramref name="command"/> (an absolute executable path and its
    /// arguments). Returns a sentence for the operator when an existing hook that is not Capstan's was kept.
    /// </summary>
    public static string? Install(string repoPath, IReadOnlyList<string> command, IReadOnlyDictionary<string, string>? environment = null)
    {
        var hooks = Path.Combine(repoPath, "hooks");
        var file = Path.Combine(hooks, "pre-receive");
        if (File.Exists(file) && !File.ReadAllText(file).Contains(Marker, StringComparison.Ordinal))
            return $"{file} is not Capstan's, so it was kept: pushes to the config repo are not checked before they reach {ConfigRepo.Branch}. " +
                "Move it aside and start Capstan again to have invalid pushes refused.";
        Directory.CreateDirectory(hooks);
        var script = new StringBuilder();
        script.Append("#!/bin/sh\n").Append(Marker).Append('\n');
        script.Append("# Written by `capstan up` at every start (edits are overwritten). A push whose new main has configuration\n");
        script.Append("# errors is refused and the pusher sees them (file:line:column); other refs, deletions and valid pushes pass.\n");
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
            script.Append(k).Append('=').Append(Quote(v)).Append("; export ").Append(k).Append('\n');
        script.Append("exe=").Append(Quote(command[0])).Append('\n');
        script.Append("if [ ! -x \"$exe\" ]; then\n");
        script.Append("  echo \"Capstan's check of pushed configuration ($exe) is missing, so this push is refused. Start Capstan again (capstan up) to refresh hooks/pre-receive.\" >&2\n");
        script.Append("  exit 1\nfi\n");
        script.Append("exec \"$exe\"");
        foreach (var a in command.Skip(1)) script.Append(' ').Append(Quote(a));
        script.Append('\n');
        // Written beside and renamed over, so a push at this moment runs either the old hook or the new one, never half.
        var temp = file + ".capstan-new";
        File.WriteAllText(temp, script.ToString());
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        File.Move(temp, file, overwrite: true);
        return null;
    }

    /// <summary>A word for sh in single quotes: nothing in it is expanded ('\'' closes, escapes and reopens).</summary>
    public static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
