namespace Capstan.Flow.Tests.Support;

/// <summary>Marks script files executable, as git and git-flow require for hooks.</summary>
public static class Executable
{
    public static void Make(string path)
    {
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
