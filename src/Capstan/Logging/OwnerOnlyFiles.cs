using System.Text;
using Serilog.Sinks.File;

namespace Capstan.Logging;

/// <summary>Log files are readable and writable by their owner only (mode 0600), like the rest of the data folder.</summary>
public sealed class OwnerOnlyFiles : FileLifecycleHooks
{
    public override Stream OnFileOpened(string path, Stream underlyingStream, Encoding encoding)
    {
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return underlyingStream;
    }
}
