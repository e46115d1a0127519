using System.Runtime.InteropServices;

namespace Capstan.Delivery.Targets.Process;

/// <summary>
/// Tells whether a process id still names the process Capstan started (ids are reused): a process is the
/// pid plus its start mark (on Linux the start time in clock ticks from /proc/PID/stat).
/// </summary>
internal static class ProcessIdentity
{
    private const int SigTerm = 15;
    private const int SigKill = 9;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    /// <summary>The start mark of a live process, or null when it is gone (or a zombie).</summary>
    public static string? StartMark(int pid)
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var close = stat.LastIndexOf(')');
                if (close < 0) return null;
                var fields = stat[(close + 2)..].Split(' ');
                if (fields.Length < 20 || fields[0] is "Z" or "X") return null;
                return fields[19];
            }
            catch (IOException) { return null; }
            catch (UnauthorizedAccessException) { return null; }
        }
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return p.HasExited ? null : p.StartTime.ToUniversalTime().Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (ArgumentException) { return null; }
        catch (InvalidOperationException) { return null; }
    }

    public static bool IsAlive(int pid, string mark) => StartMark(pid) == mark;

    /// <summary>Asks a process to stop (SIGTERM on Unix; a hard stop elsewhere).</summary>
    public static void Terminate(int pid)
    {
        if (!OperatingSystem.IsWindows()) { SendSignal(pid, SigTerm); return; }
        Kill(pid);
    }

    public static void Kill(int pid)
    {
        if (!OperatingSystem.IsWindows()) { SendSignal(pid, SigKill); return; }
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            p.Kill(entireProcessTree: true);
        }
        catch (ArgumentException) { }
        catch (InvalidOperationException) { }
    }

    /// <summary>Stops a process: SIGTERM, then SIGKILL after the grace period.</summary>
    public static async Task StopAsync(int pid, string mark, TimeSpan grace, TimeProvider clock)
    {
        if (!IsAlive(pid, mark)) return;
        Terminate(pid);
        var started = clock.GetTimestamp();
        while (IsAlive(pid, mark) && clock.GetElapsedTime(started) < grace)
            await Task.Delay(TimeSpan.FromMilliseconds(25), clock);
        if (IsAlive(pid, mark)) Kill(pid);
        started = clock.GetTimestamp();
        while (IsAlive(pid, mark) && clock.GetElapsedTime(started) < TimeSpan.FromSeconds(5))
            await Task.Delay(TimeSpan.FromMilliseconds(25), clock);
    }

    /// <summary>Reaps a child so it does not linger as a zombie (only our own children can be reaped).</summary>
    public static void Reap(System.Diagnostics.Process? child)
    {
        if (child is null) return;
        try { if (child.HasExited) child.WaitForExit(); }
        catch (InvalidOperationException) { }
        catch (SystemException) { }
    }

    public static int? ExitCode(System.Diagnostics.Process? child)
    {
        try { return child is not null && child.HasExited ? child.ExitCode : null; }
        catch (InvalidOperationException) { return null; }
    }
}
