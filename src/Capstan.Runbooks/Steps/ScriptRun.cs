using System.Diagnostics;
using System.Globalization;
using Capstan.Runbooks.Config;

namespace Capstan.Runbooks.Steps;

/// <summary>
/// Runs script steps: the file from the config repo is written to a folder of its own and started directly
/// (no shell) with each argument as one argv entry, a clean environment (PATH, HOME, LANG, TMPDIR, the
/// step's env: and the names in passEnv:) and a working folder of its own; the whole process tree is
/// killed on timeout or cancel.
/// </summary>
public static class ScriptRun
{
    public const string SafePath = "/usr/local/bin:/usr/bin:/bin";

    public static async Task<Dictionary<string, string>> RunAsync(ScriptStep step, Scope scope, IReadOnlyDictionary<string, string> files, string folder, Action<string> line, CancellationToken ct)
    {
        if (!files.TryGetValue(step.Path, out var content)) throw new StepProblem($"script '{step.Path}' is not in the config repo at this commit");
        var scriptFolder = Path.Combine(folder, "script");
        var work = Path.Combine(folder, "work");
        Directory.CreateDirectory(scriptFolder);
        Directory.CreateDirectory(work);
        var file = Path.Combine(scriptFolder, Path.GetFileName(step.Path));
        await File.WriteAllTextAsync(file, content.ReplaceLineEndings("\n"), ct);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);
        if (!content.StartsWith("#!", StringComparison.Ordinal)) throw new StepProblem($"script '{step.Path}' has no #! line; start it with one such as #!/bin/sh so it can run without a shell");

        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = work,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var a in step.Arguments) start.ArgumentList.Add(scope.Resolve(a));
        start.Environment.Clear();
        start.Environment["PATH"] = SafePath;
        start.Environment["HOME"] = work;
        start.Environment["TMPDIR"] = work;
        start.Environment["LANG"] = "C.UTF-8";
        foreach (var name in step.PassEnvironment)
            if (Environment.GetEnvironmentVariable(name) is { } v) start.Environment[name] = v;
        foreach (var (name, value) in step.Environment) start.Environment[name] = scope.Resolve(value);

        using var process = new Process { StartInfo = start };
        var output = new List<string>();
        var errors = new List<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is { } d) { lock (output) output.Add(d); line(d); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } d) { lock (errors) errors.Add(d); line(d); } };
        try { process.Start(); }
        catch (System.ComponentModel.Win32Exception ex) { throw new StepProblem($"script '{step.Path}' cannot start: {ex.Message}"); }
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await process.WaitForExitAsync(CancellationToken.None);
            throw;
        }
        process.WaitForExit(); // drains the output readers
        string Joined(List<string> l) { lock (l) return string.Join('\n', l); }
        var stdout = Joined(output);
        var values = new Dictionary<string, string>
        {
            ["exit"] = process.ExitCode.ToString(CultureInfo.InvariantCulture),
            ["stdout"] = stdout.Length > 4096 ? stdout[..4096] : stdout,
            ["last"] = LastLine(output) ?? "",
        };
        if (process.ExitCode != 0)
            throw new StepProblem($"script '{step.Path}' exited with {process.ExitCode}" + ((LastLine(errors) ?? LastLine(output)) is { } why ? $": {why}" : ""));
        values["detail"] = LastLine(output) is { } last ? last : "exited with 0";
        return values;
    }

    private static string? LastLine(List<string> lines)
    {
        lock (lines) return lines.LastOrDefault(l => l.Trim().Length > 0);
    }
}
