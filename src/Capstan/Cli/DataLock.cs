using Capstan.Core;

namespace Capstan.Cli;

/// <summary>Keeps two Capstan processes from writing the same data folder's ledger at once.</summary>
public sealed class DataLock : IDisposable
{
    private readonly FileStream _file;

    private DataLock(FileStream file) => _file = file;

    public static DataLock? TryAcquire(DataFolder data)
    {
        PrivateFolder.Secure(data);
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = PrivateFolder.FileMode;
            var f = new FileStream(data.LockFile, options);
            return new DataLock(f);
        }
        catch (IOException)
        {
            return null;
        }
    }

    public void Dispose() => _file.Dispose();
}
