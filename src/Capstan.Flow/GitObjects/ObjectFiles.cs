using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;

namespace Capstan.Flow.GitObjects;

/// <summary>
/// Reads objects straight from a repository's object folder: pack files (version 2 indexes, deltas against an offset
/// or an object name) and loose objects. Read-only and SHA-1 only; <see cref="TryOpen"/> gives null for anything it
/// does not read exactly as git would (alternates, grafts, replace refs, shallow clones, object-folder overrides), and
/// callers ask git instead. Safe to read from several threads at once, each with its own <see cref="Inflater"/>.
/// </summary>
internal sealed unsafe class ObjectFiles : IDisposable
{
    public const int IdLength = 20;
    private const int MaxDeltaChain = 10_000;

    public enum Kind { None = 0, Commit = 1, Tree = 2, Blob = 3, Tag = 4 }

    private readonly string objectsFolder;
    private readonly List<Pack> packs;

    private ObjectFiles(string objectsFolder, List<Pack> packs)
    {
        this.objectsFolder = objectsFolder;
        this.packs = packs;
    }

    /// <summary>The git folder's object files, or null when git has to be asked instead.</summary>
    public static ObjectFiles? TryOpen(string gitDirectory)
    {
        foreach (var variable in new[] { "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_GRAFT_FILE", "GIT_REPLACE_REF_BASE" })
            if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(variable))) return null;
        var common = CommonDirectory(gitDirectory);
        if (common is null) return null;
        var objects = Path.Combine(common, "objects");
        if (!Directory.Exists(objects)
            || File.Exists(Path.Combine(objects, "info", "alternates"))
            || File.Exists(Path.Combine(common, "info", "grafts"))
            || File.Exists(Path.Combine(common, "shallow")) // its boundary commits' parents are missing: git shows none
            || HasReplaceRefs(common))
            return null;
        var packs = new List<Pack>();
        try
        {
            var packFolder = Path.Combine(objects, "pack");
            if (Directory.Exists(packFolder))
                foreach (var index in Directory.EnumerateFiles(packFolder, "pack-*.idx"))
                {
                    var data = Path.ChangeExtension(index, ".pack");
                    if (!File.Exists(data)) continue;
                    var pack = Pack.TryOpen(index, data);
                    if (pack is null) { Dispose(packs); return null; }
                    if (pack.Count == 0) { pack.Dispose(); continue; }
                    packs.Add(pack);
                }
        }
        catch (IOException) { Dispose(packs); return null; }
        catch (UnauthorizedAccessException) { Dispose(packs); return null; }
        // Newest packs first, as git searches them: recent objects are the ones most often asked for.
        packs.Sort((a, b) => b.Written.CompareTo(a.Written));
        return new ObjectFiles(objects, packs);
    }

    private static void Dispose(List<Pack> packs)
    {
        foreach (var p in packs) p.Dispose();
    }

    /// <summary>The folder that holds objects and refs: the git folder itself, or the main one for a linked worktree.</summary>
    private static string? CommonDirectory(string gitDirectory)
    {
        var pointer = Path.Combine(gitDirectory, "commondir");
        if (!File.Exists(pointer)) return gitDirectory;
        var target = File.ReadAllText(pointer).Trim();
        if (target.Length == 0) return null;
        return Path.GetFullPath(Path.IsPathRooted(target) ? target : Path.Combine(gitDirectory, target));
    }

    private static bool HasReplaceRefs(string common)
    {
        var folder = Path.Combine(common, "refs", "replace");
        if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any()) return true;
        var packed = Path.Combine(common, "packed-refs");
        return File.Exists(packed) && File.ReadAllText(packed).Contains(" refs/replace/", StringComparison.Ordinal);
    }

    /// <summary>
    /// Reads the object named <paramref name="id"/> into <paramref name="content"/> (a buffer reused between calls when
    /// it is large enough). Gives <see cref="Kind.None"/> when there is no such object or it cannot be read.
    /// </summary>
    public Kind TryRead(ReadOnlySpan<byte> id, Inflater inflater, ref byte[] content, out int length) =>
        Read(id, inflater, ref content, out length, 0);

    private Kind Read(ReadOnlySpan<byte> id, Inflater inflater, ref byte[] content, out int length, int depth)
    {
        foreach (var pack in packs)
            if (pack.Find(id) is { } offset)
                return ReadPacked(pack, offset, inflater, ref content, out length, depth);
        return ReadLoose(id, inflater, ref content, out length);
    }

    private Kind ReadLoose(ReadOnlySpan<byte> id, Inflater inflater, ref byte[] content, out int length)
    {
        length = 0;
        var hex = Convert.ToHexStringLower(id);
        var file = Path.Combine(objectsFolder, hex[..2], hex[2..]);
        byte[] compressed;
        try { compressed = File.ReadAllBytes(file); }
        catch (FileNotFoundException) { return Kind.None; }
        catch (DirectoryNotFoundException) { return Kind.None; }
        var raw = inflater.TryInflateAll(compressed);
        if (raw is null) return Kind.None;
        // "<type> <size>\0<content>"
        var space = Array.IndexOf(raw, (byte)' ');
        var nul = Array.IndexOf(raw, (byte)0);
        if (space <= 0 || nul <= space) return Kind.None;
        var kind = raw.AsSpan(0, space) switch
        {
            var t when t.SequenceEqual("commit"u8) => Kind.Commit,
            var t when t.SequenceEqual("tree"u8) => Kind.Tree,
            var t when t.SequenceEqual("blob"u8) => Kind.Blob,
            var t when t.SequenceEqual("tag"u8) => Kind.Tag,
            _ => Kind.None,
        };
        if (kind == Kind.None
            || !System.Buffers.Text.Utf8Parser.TryParse(raw.AsSpan(space + 1, nul - space - 1), out int size, out var used)
            || used != nul - space - 1 || size != raw.Length - nul - 1)
            return Kind.None;
        if (content.Length < size) content = new byte[size];
        raw.AsSpan(nul + 1).CopyTo(content);
        length = size;
        return kind;
    }

    private Kind ReadPacked(Pack pack, long offset, Inflater inflater, ref byte[] content, out int length, int depth)
    {
        length = 0;
        if (depth > MaxDeltaChain || !pack.TryHeader(offset, out var type, out var size, out var dataStart)) return Kind.None;
        if (type is >= 1 and <= 4)
        {
            if (size > Array.MaxLength - Inflater.Slack) return Kind.None;
            if (content.Length < size + Inflater.Slack) content = new byte[size + Inflater.Slack];
            if (!inflater.TryInflate(pack.At(dataStart), pack.Length - dataStart, content, (int)size)) return Kind.None;
            length = (int)size;
            return (Kind)type;
        }
        // A delta: the base first (by its offset in this pack, or by its name anywhere), then the instructions over it.
        var baseContent = Array.Empty<byte>();
        Kind baseKind;
        int baseLength;
        long deltaStart;
        if (type == 6)
        {
            if (!pack.TryBaseOffset(dataStart, out var distance, out deltaStart) || distance <= 0 || distance > offset) return Kind.None;
            baseKind = ReadPacked(pack, offset - distance, inflater, ref baseContent, out baseLength, depth + 1);
        }
        else if (type == 7)
        {
            if (dataStart + IdLength > pack.Length) return Kind.None;
            var baseId = new ReadOnlySpan<byte>(pack.At(dataStart), IdLength);
            deltaStart = dataStart + IdLength;
            baseKind = Read(baseId, inflater, ref baseContent, out baseLength, depth + 1);
        }
        else return Kind.None;
        if (baseKind == Kind.None || size > Array.MaxLength - Inflater.Slack) return Kind.None;
        var delta = new byte[size + Inflater.Slack];
        if (!inflater.TryInflate(pack.At(deltaStart), pack.Length - deltaStart, delta, (int)size)) return Kind.None;
        return DeltaPatch.TryApply(baseContent.AsSpan(0, baseLength), delta.AsSpan(0, (int)size), ref content, out length) ? baseKind : Kind.None;
    }

    /// <summary>The repository's object folder (where git keeps its commit-graph file too).</summary>
    public string Folder => objectsFolder;

    /// <summary>
    /// Lets go of the pack pages read so far. For callers reading many objects scattered over the packs (every annotated
    /// tag), now and then: otherwise the process ends up holding most of each pack and index while it reads.
    /// </summary>
    public void ReleasePages()
    {
        foreach (var pack in packs) pack.ReleasePages();
    }

    public void Dispose() => Dispose(packs);

    /// <summary>One pack file and its version 2 index, both mapped read-only.</summary>
    private sealed class Pack : IDisposable
    {
        private readonly Mapping index;
        private readonly Mapping data;
        private readonly uint[] fanout = new uint[256];
        private readonly long idsAt, offsetsAt, largeOffsetsAt;

        public int Count { get; }
        public DateTime Written { get; }
        public long Length => data.Length;

        private Pack(Mapping index, Mapping data, DateTime written)
        {
            this.index = index;
            this.data = data;
            Written = written;
            for (var i = 0; i < 256; i++) fanout[i] = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(index.Pointer + 8 + i * 4, 4));
            Count = (int)fanout[255];
            idsAt = 8 + 256 * 4;
            offsetsAt = idsAt + (long)Count * (IdLength + 4);
            largeOffsetsAt = offsetsAt + (long)Count * 4;
        }

        public static Pack? TryOpen(string indexFile, string dataFile)
        {
            var index = Mapping.Open(indexFile);
            if (index is null) return null;
            var data = Mapping.Open(dataFile);
            // Version 2 index ("\xfftOc", 2); a pack starts "PACK", version 2 or 3.
            if (data is null || index.Length < 8 + 1024 + 40 || data.Length < 12 + IdLength
                || !new ReadOnlySpan<byte>(index.Pointer, 8).SequenceEqual((ReadOnlySpan<byte>)[0xff, 0x74, 0x4f, 0x63, 0, 0, 0, 2])
                || !new ReadOnlySpan<byte>(data.Pointer, 4).SequenceEqual("PACK"u8))
            {
                index.Dispose();
                data?.Dispose();
                return null;
            }
            var pack = new Pack(index, data, File.GetLastWriteTimeUtc(dataFile));
            if (pack.largeOffsetsAt + 2 * IdLength > index.Length) { pack.Dispose(); return null; }
            return pack;
        }

        public byte* At(long offset) => data.Pointer + offset;

        // The pack only: the index's upper search pages are read by every lookup, and its whole is a third of the pack's.
        public void ReleasePages() => data.Release();

        public long? Find(ReadOnlySpan<byte> id)
        {
            var first = id[0];
            var low = first == 0 ? 0 : (int)fanout[first - 1];
            var high = (int)fanout[first] - 1;
            var ids = index.Pointer + idsAt;
            // Most probes differ in the first eight bytes, compared as one big-endian number.
            var prefix = BinaryPrimitives.ReadUInt64BigEndian(id);
            while (low <= high)
            {
                var middle = (int)((uint)(low + high) >> 1);
                var entry = ids + (long)middle * IdLength;
                var head = BinaryPrimitives.ReadUInt64BigEndian(new ReadOnlySpan<byte>(entry, 8));
                var c = head != prefix ? head.CompareTo(prefix) : new ReadOnlySpan<byte>(entry, IdLength).SequenceCompareTo(id);
                if (c == 0) return OffsetOf(middle);
                if (c < 0) low = middle + 1;
                else high = middle - 1;
            }
            return null;
        }

        private long? OffsetOf(int entry)
        {
            var small = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(index.Pointer + offsetsAt + (long)entry * 4, 4));
            if ((small & 0x8000_0000) == 0) return small;
            var at = largeOffsetsAt + (long)(small & 0x7fff_ffff) * 8;
            if (at + 8 > index.Length) return null;
            return (long)BinaryPrimitives.ReadUInt64BigEndian(new ReadOnlySpan<byte>(index.Pointer + at, 8));
        }

        /// <summary>An entry's header: type in bits 4–6 of the first byte, then the inflated size, 4 + 7·n bits.</summary>
        public bool TryHeader(long offset, out int type, out long size, out long dataStart)
        {
            type = 0;
            size = 0;
            dataStart = 0;
            if (offset < 12 || offset >= data.Length) return false;
            var p = offset;
            var c = data.Pointer[p++];
            type = (c >> 4) & 7;
            size = c & 15;
            var shift = 4;
            while ((c & 0x80) != 0)
            {
                if (p >= data.Length || shift > 56) return false;
                c = data.Pointer[p++];
                size |= (long)(c & 0x7f) << shift;
                shift += 7;
            }
            dataStart = p;
            return true;
        }

        /// <summary>An offset delta's distance back to its base: big-endian 7-bit groups, each continuation adding one.</summary>
        public bool TryBaseOffset(long at, out long distance, out long after)
        {
            distance = 0;
            after = at;
            if (at >= data.Length) return false;
            var c = data.Pointer[after++];
            distance = c & 0x7f;
            while ((c & 0x80) != 0)
            {
                if (after >= data.Length || distance > (long.MaxValue >> 8)) return false;
                c = data.Pointer[after++];
                distance = ((distance + 1) << 7) | (long)(c & 0x7f);
            }
            return true;
        }

        public void Dispose()
        {
            index.Dispose();
            data.Dispose();
        }
    }

    /// <summary>A whole file mapped read-only.</summary>
    internal sealed class Mapping : IDisposable
    {
        private readonly MemoryMappedFile file;
        private readonly MemoryMappedViewAccessor view;

        private readonly byte* start;

        public byte* Pointer { get; }
        public long Length { get; }

        /// <summary>Unmaps the pages read so far from this process (see <see cref="PageAdvice"/>); later reads map them again.</summary>
        public void Release() => PageAdvice.Release(start, Length + (Pointer - start));

        private Mapping(MemoryMappedFile file, MemoryMappedViewAccessor view, long length)
        {
            this.file = file;
            this.view = view;
            Length = length;
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            start = p;
            Pointer = p + view.PointerOffset;
        }

        public static Mapping? Open(string path)
        {
            var length = new FileInfo(path).Length;
            if (length == 0) return null;
            var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            var view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            return new Mapping(file, view, length);
        }

        public void Dispose()
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
            view.Dispose();
            file.Dispose();
        }
    }
}
