using System.Runtime.InteropServices;

namespace Capstan.Native;

/// <summary>capstan-server: the JIT-compiled app beside this executable, which serves every verb (up, say, chat, …).</summary>
internal static partial class ServerApp
{
    public const string FileName = "capstan-server";

    /// <summary>Replaces this process with capstan-server and the same arguments; returns only if that fails.</summary>
    public static int Exec(string[] args)
    {
        // exec, not a child process: the server keeps this process id, its signals and its exit code, as if run directly.
        var folder = Path.GetDirectoryName(Environment.ProcessPath) ?? AppContext.BaseDirectory;
        var path = Path.Combine(folder, FileName);
        var argv = new string?[args.Length + 2];
        argv[0] = path;
        args.CopyTo(argv, 1);
        // The .NET runtime ignores SIGPIPE, and an ignored signal survives exec: capstan-server would take that for
        // the disposition it was started with and hand it on to every process it starts (git, runbook scripts,
        // deployed apps). Put back the default that a shell gives, as if capstan-server had been started directly.
        Signal(SigPipe, SigDefault);
        ExecV(path, argv);
        var error = Marshal.GetLastPInvokeErrorMessage();
        Console.Error.WriteLine(File.Exists(path)
            ? $"Cannot start {path}: {error}."
            : $"{FileName} is missing from {folder}: it serves every verb but flow, version and changelog. Build src/Capstan (./capstan.sh does).");
        return 1;
    }

    private const int SigPipe = 13;
    private static readonly nint SigDefault = 0;

    [LibraryImport("libc", EntryPoint = "execv", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int ExecV(string path, string?[] argv);

    [LibraryImport("libc", EntryPoint = "signal")]
    private static partial nint Signal(int signal, nint handler);
}
