using System.Globalization;
using System.IO.Enumeration;
using System.Text;

namespace Capstan.Flow.Versioning;

/// <summary>
/// Reads a repository's ref files (HEAD, packed-refs, refs/heads, refs/tags) straight from disk to key the version cache,
/// so a cache hit needs neither libgit2 nor a git process. Layouts it does not know (reftable, GIT_DIR) return null and
/// the caller keys the cache through git instead.
/// </summary>
/// <remarks>
/// Two keys describe the same refs. The content key reads every loose ref file. The stat key reads only HEAD,
/// packed-refs and the GitVersion configuration, and takes each loose ref from its directory entry: name, size and
/// modification time, which is far cheaper with a thousand tags (one stat instead of an open, read and close each).
/// Why the stat key cannot hit for refs that changed:
/// <list type="bullet">
/// <item>git (and libgit2, JGit) never rewrites a ref file in place: it writes NAME.lock and renames it over NAME, so an
/// updated ref is a new file with the current time as its modification time; creating and deleting refs adds and removes
/// names. Either way the name list or a modification time differs from what was recorded.</item>
/// <item>Timestamps are coarse (ext4 takes them from a clock that ticks every few milliseconds, FAT every 2 s), so two
/// updates close together can leave the same time. The stat key is therefore only used ("settled") when every loose ref
/// is older than <see cref="SettleTime"/>: any change made after the key was recorded then carries a later time than all
/// the recorded ones. Refs that changed more recently than that are keyed by content, as before.</item>
/// <item>What the stat key cannot see: a ref file rewritten in place with its old modification time put back (touch -d,
/// or a copy tool restoring times over different content), or a clock set back by more than <see cref="SettleTime"/>.
/// 'capstan version --no-cache' computes without the cache in such a case.</item>
/// </list>
/// </remarks>
internal sealed record RefFiles(string GitDirectory, string CommonDirectory, string? WorkTree)
{
    /// <summary>What the content key read: packed-refs and each loose ref under refs/heads and refs/tags (path from the git folder, content).</summary>
    public sealed record RefContents(byte[] Packed, IReadOnlyList<(string Path, byte[] Content)> Loose)
    {
        internal byte[] Head { get; init; } = [];
        internal byte[] Config { get; init; } = [];
        internal DateTime ReadAt { get; init; }
    }

    /// <summary>How long every loose ref must have been unchanged for the stat key to be used.</summary>
    public static readonly TimeSpan SettleTime = TimeSpan.FromSeconds(5);

    private static readonly string[] Folders = ["refs/heads", "refs/tags"];

    public static RefFiles? Find(string path)
    {
        if (Environment.GetEnvironmentVariable("GIT_DIR") is not null || Environment.GetEnvironmentVariable("GIT_COMMON_DIR") is not null) return null;
        string? dir;
        try { dir = Path.GetFullPath(path); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException) { return null; }
        if (!Directory.Exists(dir)) return null; // the slow path says what is wrong
        for (; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            var dotGit = Path.Combine(dir, ".git");
            if (Directory.Exists(dotGit)) return Resolve(dotGit, dir);
            if (File.Exists(dotGit))
            {
                var text = File.ReadAllText(dotGit).Trim();
                if (!text.StartsWith("gitdir:", StringComparison.Ordinal)) return null;
                return Resolve(Path.GetFullPath(Path.Combine(dir, text["gitdir:".Length..].Trim())), dir);
            }
            if (File.Exists(Path.Combine(dir, "HEAD")) && Directory.Exists(Path.Combine(dir, "objects")) && Directory.Exists(Path.Combine(dir, "refs")))
                return Resolve(dir, null);
        }
        return null;
    }

    private static RefFiles? Resolve(string gitDirectory, string? workTree)
    {
        var common = gitDirectory;
        var commonFile = Path.Combine(gitDirectory, "commondir");
        if (File.Exists(commonFile)) common = Path.GetFullPath(Path.Combine(gitDirectory, File.ReadAllText(commonFile).Trim()));
        if (Directory.Exists(Path.Combine(common, "reftable")) || !File.Exists(Path.Combine(gitDirectory, "HEAD"))) return null;
        return new RefFiles(gitDirectory, common, workTree);
    }

    /// <summary>
    /// A hash of everything a version depends on besides the commits themselves, which never change, reading every loose
    /// ref; null when a ref changed while it was read (git was writing), and then the caller keys through git.
    /// </summary>
    public string? Key(string format, string? branch) => Key(format, branch, out _);

    /// <summary>The content key, and the ref files it was read from (so the refs need not be read a second time).</summary>
    public string? Key(string format, string? branch, out RefContents? contents)
    {
        var read = new Collected();
        contents = null;
        try
        {
            var key = ReadKey(format, branch, statOnly: false, settledBefore: default, read);
            if (key is not null)
                contents = new RefContents(read.Packed, read.Loose) { Head = read.Head, Config = read.Config, ReadAt = read.ReadAt };
            return key;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>
    /// The same state keyed from the loose refs' names, sizes and modification times (see the remarks on this type);
    /// null when a loose ref changed less than <see cref="SettleTime"/> before <paramref name="now"/>, or on a read error.
    /// </summary>
    public string? StatKey(string format, string? branch, DateTime now)
    {
        try { return ReadKey(format, branch, statOnly: true, settledBefore: now - SettleTime, null); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>
    /// True when the refs are still the ones <paramref name="before"/> read, without reading every loose ref again: HEAD,
    /// packed-refs and the configuration by content, the loose refs' names, and a loose ref's content only when its
    /// modification time is not older than <see cref="SettleTime"/> before the read (the stat key's reasoning, ref by
    /// ref: a ref replaced after the read carries a later time than that). Lets a version computed after a cache miss
    /// be saved under the key read before it, knowing no ref moved meanwhile.
    /// </summary>
    public bool Unchanged(RefContents before)
    {
        try
        {
            if (!File.ReadAllBytes(Path.Combine(GitDirectory, "HEAD")).AsSpan().SequenceEqual(before.Head)) return false;
            var packed = Path.Combine(CommonDirectory, "packed-refs");
            if (!(File.Exists(packed) ? File.ReadAllBytes(packed) : []).AsSpan().SequenceEqual(before.Packed)) return false;
            var config = ConfigurationFile.Find(WorkTree);
            if (!(config is null ? [] : File.ReadAllBytes(config)).AsSpan().SequenceEqual(before.Config)) return false;
            var recent = (before.ReadAt - SettleTime).Ticks;
            var contents = before.Loose.ToDictionary(l => l.Path, l => l.Content, StringComparer.Ordinal);
            var seen = 0;
            foreach (var folder in Folders)
            {
                var root = Path.Combine(CommonDirectory, folder);
                if (!Directory.Exists(root)) continue;
                foreach (var (path, modified) in LooseEntries(root))
                {
                    if (!contents.TryGetValue(path, out var content)) return false;
                    seen++;
                    if (modified >= recent && !ReadSmall(Path.Join(CommonDirectory, path)).AsSpan().SequenceEqual(content)) return false;
                }
            }
            return seen == contents.Count;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>Each loose ref under <paramref name="root"/>: its path from the git folder and its modification time.</summary>
    private List<(string Path, long Modified)> LooseEntries(string root) =>
        [.. new FileSystemEnumerable<(string, long)>(root, (ref FileSystemEntry e) => (e.ToFullPath()[CommonDirectory.Length..], e.LastWriteTimeUtc.UtcTicks),
            new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false })
        {
            ShouldIncludePredicate = (ref FileSystemEntry e) => !e.IsDirectory && !e.FileName.EndsWith(".lock", StringComparison.Ordinal),
        }];

    /// <summary>
    /// A loose ref file (41 bytes): opened with every sharing mode, so no advisory lock is taken, and read with one call
    /// into a stack buffer, which at a thousand refs is measurably cheaper than <see cref="File.ReadAllBytes(string)"/>.
    /// </summary>
    private static byte[] ReadSmall(string path)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        Span<byte> buffer = stackalloc byte[256];
        var read = RandomAccess.Read(handle, buffer, 0);
        return read < buffer.Length ? buffer[..read].ToArray() : File.ReadAllBytes(path);
    }

    private sealed class Collected
    {
        public byte[] Packed { get; set; } = [];
        public byte[] Head { get; set; } = [];
        public byte[] Config { get; set; } = [];
        public DateTime ReadAt { get; } = DateTime.UtcNow;
        public List<(string, byte[])> Loose { get; } = [];
    }

    private string? ReadKey(string format, string? branch, bool statOnly, DateTime settledBefore, Collected? collected)
    {
        var hash = new CacheKeyHash();
        hash.Add(statOnly ? format + "/stat" : format);
        hash.Add(branch ?? "(HEAD)");
        var head = File.ReadAllBytes(Path.Combine(GitDirectory, "HEAD"));
        hash.Add(head);
        if (collected is not null) collected.Head = head;
        var packed = Path.Combine(CommonDirectory, "packed-refs");
        var packedBytes = File.Exists(packed) ? File.ReadAllBytes(packed) : [];
        hash.Add(packedBytes);
        if (collected is not null) collected.Packed = packedBytes;
        foreach (var folder in Folders)
        {
            var root = Path.Combine(CommonDirectory, folder);
            if (!Directory.Exists(root)) continue;
            // Each entry as one string (relative path, then size and time for the stat key): the enumeration and sort of
            // strings are precompiled in the runtime, where a tuple's would be compiled on every start of the process.
            var settled = true;
            var entries = new FileSystemEnumerable<string>(root, (ref FileSystemEntry e) =>
                {
                    var path = e.ToFullPath()[CommonDirectory.Length..];
                    if (!statOnly) return path;
                    var modified = e.LastWriteTimeUtc.UtcTicks;
                    // Recent or in the future (a clock set back): not settled, so the caller keys by content.
                    if (modified >= settledBefore.Ticks) settled = false;
                    return string.Concat(path, "\0", e.Length.ToString(CultureInfo.InvariantCulture), "\0", modified.ToString(CultureInfo.InvariantCulture));
                },
                new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false })
            {
                ShouldIncludePredicate = (ref FileSystemEntry e) => !e.IsDirectory && !e.FileName.EndsWith(".lock", StringComparison.Ordinal),
            };
            var list = new List<string>(entries);
            if (!settled) return null;
            list.Sort(StringComparer.Ordinal);
            foreach (var entry in list)
            {
                hash.Add(entry);
                if (statOnly) continue;
                var content = ReadSmall(Path.Join(CommonDirectory, entry));
                hash.Add(content);
                collected?.Loose.Add((entry, content));
            }
        }
        var config = ConfigurationFile.Find(WorkTree);
        var configBytes = config is null ? [] : File.ReadAllBytes(config);
        hash.Add(configBytes);
        if (collected is not null) collected.Config = configBytes;
        return hash.ToHex();
    }

    /// <summary>
    /// FNV-1a (64 bits) over length-prefixed fields: a cache-file name, not a security boundary (whoever can write .git
    /// can write the cache), and 64 bits make an accidental collision between a repository's states vanishingly rare.
    /// Chosen over SHA-256 because that loads OpenSSL, which costs a short command more than all the hashing it does.
    /// </summary>
    private sealed class CacheKeyHash
    {
        private const ulong Prime = 0x100000001b3;
        private ulong state = 0xcbf29ce484222325;

        public void Add(ReadOnlySpan<byte> bytes)
        {
            Mix((ulong)bytes.Length);
            var h = state;
            foreach (var b in bytes) h = (h ^ b) * Prime;
            state = h;
        }

        public void Add(string text) => Add(Encoding.UTF8.GetBytes(text));

        private void Mix(ulong value)
        {
            var h = state;
            for (var i = 0; i < 8; i++, value >>= 8) h = (h ^ (byte)value) * Prime;
            state = h;
        }

        public string ToHex() => state.ToString("x16", CultureInfo.InvariantCulture);
    }
}
