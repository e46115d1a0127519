using Microsoft.Extensions.Logging;

namespace Capstan.Core;

/// <summary>
/// Keeps the data folder readable by its owner only: the folder is 0700 and the files Capstan writes at its top
/// (database, WAL, signing key, tokens, server record, logs) are 0600. A folder made looser before is tightened at
/// start, and the log says what changed. The config repo inside keeps git's own modes: the folder's 0700 already
/// closes it to everyone else.
/// </summary>
public static class PrivateFolder
{
    public const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode GroupAndOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Creates the folder (0700) or tightens it, and makes its top-level files 0600; returns what it tightened.</summary>
    public static IReadOnlyList<string> Secure(DataFolder data, ILogger? logger = null)
    {
        var tightened = new List<string>();
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(data.Root);
            return tightened;
        }
        if (!Directory.Exists(data.Root)) Directory.CreateDirectory(data.Root, FolderMode);
        else Tighten(data.Root, FolderMode, tightened);
        foreach (var file in Directory.EnumerateFiles(data.Root))
            if (!new FileInfo(file).Attributes.HasFlag(FileAttributes.ReparsePoint)) Tighten(file, FileMode, tightened);
        foreach (var line in tightened) logger?.LogWarning("{Change}", line);
        return tightened;
    }

    /// <summary>Writes a text file readable by its owner only (created 0600; an existing file is tightened first).</summary>
    public static void WriteText(string path, string text)
    {
        if (!OperatingSystem.IsWindows())
        {
            if (File.Exists(path)) File.SetUnixFileMode(path, FileMode);
            Create(path);
        }
        File.WriteAllText(path, text);
    }

    /// <summary>
    /// Creates an empty file readable by its owner only, unless it exists. SQLite creates a database's -wal and -shm
    /// files with the database file's mode, so an empty capstan.db made this way keeps them 0600 too (SQLite takes
    /// a zero-length file as a new database).
    /// </summary>
    public static void Create(string path)
    {
        if (OperatingSystem.IsWindows() || File.Exists(path)) return;
        try
        {
            using var _ = new FileStream(path, new FileStreamOptions { Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = FileMode });
        }
        catch (IOException) when (File.Exists(path)) { /* another process created it first; Secure tightens it */ }
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void Tighten(string path, UnixFileMode wanted, List<string> tightened)
    {
        var mode = File.GetUnixFileMode(path);
        if ((mode & GroupAndOthers) == 0) return;
        File.SetUnixFileMode(path, wanted);
        tightened.Add($"Tightened {path} from {Octal(mode)} to {Octal(wanted)}: the data folder is readable by its owner only (it holds the ledger, tokens and the ledger signing key).");
    }

    private static string Octal(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0x1FF, 8).PadLeft(3, '0');
}
