using System.Globalization;
using System.Text;
using Capstan.Core.Git;

namespace Capstan.Core.Config;

/// <summary>
/// Reads a commit's text files with the git command line, as <see cref="ConfigRepo.ReadFiles"/> does with LibGit2Sharp.
/// Inside a pre-receive hook the pushed objects are still in git's quarantine folder, which only git itself sees
/// (through the GIT_OBJECT_DIRECTORY and GIT_ALTERNATE_OBJECT_DIRECTORIES it sets for the hook).
/// </summary>
public static class PushedCommit
{
    private const long MaxFileSize = 2_000_000;

    /// <summary>The commit's author time and its text files (path → content); large and binary files are left out.</summary>
    public static async Task<(DateTimeOffset When, IReadOnlyDictionary<string, string> Files)> ReadAsync(string repoPath, string sha, CancellationToken ct)
    {
        var show = await GitCli.RunAsync(repoPath, ["show", "-s", "--format=%aI", sha, "--"], ct);
        if (!show.Ok) throw new IOException($"git cannot read commit {sha}: {show.Error.Trim()}");
        var when = DateTimeOffset.Parse(show.Output.Trim(), CultureInfo.InvariantCulture);
        var list = await GitCli.RunAsync(repoPath, ["ls-tree", "-r", "-z", "--format=%(objecttype) %(objectname) %(objectsize) %(path)", sha], ct);
        if (!list.Ok) throw new IOException($"git cannot list the files of commit {sha}: {list.Error.Trim()}");
        var blobs = new List<(string Sha, string Path)>();
        foreach (var entry in list.Output.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = entry.Split(' ', 4);
            if (parts is ["blob", var blob, var size, var path] && long.Parse(size, CultureInfo.InvariantCulture) <= MaxFileSize)
                blobs.Add((blob, path));
        }
        var contents = await ReadBlobsAsync(repoPath, blobs.Select(b => b.Sha).ToList(), ct);
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < blobs.Count; i++)
            if (Text(contents[i]) is { } text) files[blobs[i].Path] = text;
        return (when, files);
    }

    // One `git cat-file --batch` for every blob: a config repo holds dozens of files, and a process each would be slow.
    private static async Task<byte[][]> ReadBlobsAsync(string repoPath, IReadOnlyList<string> shas, CancellationToken ct)
    {
        if (shas.Count == 0) return [];
        var result = new byte[shas.Count][];
        // The shas go in while the blobs are read: a pipe holds only so much.
        var run = await GitCli.StreamAsync(repoPath, ["cat-file", "--batch"], string.Join('\n', shas) + "\n", async (stdout, token) =>
        {
            var output = new BufferedStream(stdout); // not disposed: the stream is CliWrap's to close
            for (var i = 0; i < shas.Count; i++)
            {
                var header = await ReadLineAsync(output, token);
                var parts = header.Split(' ');
                if (parts.Length != 3 || parts[1] != "blob") throw new IOException($"git cat-file could not read blob {shas[i]}: {header}");
                var data = new byte[int.Parse(parts[2], CultureInfo.InvariantCulture)];
                await output.ReadExactlyAsync(data, token);
                await ReadLineAsync(output, token); // the newline after the content
                result[i] = data;
            }
        }, ct);
        if (!run.Ok) throw new IOException($"git cat-file failed: {run.Error.Trim()}");
        return result;
    }

    private static async Task<string> ReadLineAsync(Stream s, CancellationToken ct)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            if (await s.ReadAsync(one, ct) == 0) throw new IOException("git cat-file ended early");
            if (one[0] == (byte)'\n') return Encoding.UTF8.GetString(bytes.ToArray());
            bytes.Add(one[0]);
        }
    }

    // As LibGit2Sharp: a NUL byte near the start means binary; a byte-order mark is not part of the text.
    private static string? Text(byte[] data)
    {
        if (Array.IndexOf(data, (byte)0, 0, Math.Min(data.Length, 8000)) >= 0) return null;
        using var reader = new StreamReader(new MemoryStream(data), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }
}
