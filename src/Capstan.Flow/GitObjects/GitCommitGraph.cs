using System.Buffers.Binary;

namespace Capstan.Flow.GitObjects;

/// <summary>
/// git's commit-graph file (<c>objects/info/commit-graph</c>, or the chain of split files in
/// <c>objects/info/commit-graphs</c>), memory-mapped: for each commit it names, the parents, the committer date and the
/// topological level, without inflating a commit object. git writes it in <c>git gc</c>, <c>git maintenance</c> and
/// <c>git commit-graph write</c>. Positions run over every layer, base first, as the file's parent fields count them.
/// Format: git's Documentation/gitformat-commit-graph.txt (version 1, SHA-1).
/// </summary>
internal sealed unsafe class GitCommitGraph : IDisposable
{
    private const uint Fanout = 0x4f494446, Lookup = 0x4f49444c, Data = 0x43444154, Edges = 0x45444745;
    private const uint NoParent = 0x7000_0000, EdgeFlag = 0x8000_0000;
    private readonly Layer[] layers;

    private GitCommitGraph(Layer[] layers)
    {
        this.layers = layers;
        Count = layers.Length == 0 ? 0 : layers[^1].First + layers[^1].Count;
    }

    /// <summary>How many commits the file names.</summary>
    public int Count { get; }

    /// <summary>The commit-graph of <paramref name="objectsFolder"/>, or null when there is none or it is not one this reads.</summary>
    public static GitCommitGraph? TryOpen(string objectsFolder)
    {
        // For measuring the path without the file side by side (docs/benchmarks/NOTES.md).
        if (Environment.GetEnvironmentVariable("CAPSTAN_COMMIT_GRAPH") == "off") return null;
        var info = Path.Combine(objectsFolder, "info");
        var layers = new List<Layer>();
        try
        {
            // git reads the single file when there is one, the chain otherwise.
            var single = Path.Combine(info, "commit-graph");
            var chain = Path.Combine(info, "commit-graphs", "commit-graph-chain");
            IEnumerable<string> files = File.Exists(single) ? [single]
                : File.Exists(chain) ? File.ReadAllLines(chain).Where(l => l.Length > 0).Select(h => Path.Combine(info, "commit-graphs", "graph-" + h + ".graph"))
                : [];
            foreach (var file in files)
            {
                if (!File.Exists(file) || Layer.TryOpen(file, layers.Count, layers.Count == 0 ? 0 : layers[^1].First + layers[^1].Count) is not { } layer)
                {
                    foreach (var l in layers) l.Dispose();
                    return null;
                }
                layers.Add(layer);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            foreach (var l in layers) l.Dispose();
            return null;
        }
        return layers.Count == 0 ? null : new GitCommitGraph([.. layers]);
    }

    /// <summary>The position of the commit named <paramref name="id"/>, or -1 when the file does not name it.</summary>
    public int Find(ReadOnlySpan<byte> id)
    {
        for (var i = layers.Length - 1; i >= 0; i--)
            if (layers[i].Find(id) is var at and >= 0) return layers[i].First + at;
        return -1;
    }

    /// <summary>The object name of the commit at <paramref name="position"/>.</summary>
    public ReadOnlySpan<byte> Id(int position)
    {
        var layer = LayerOf(position);
        return new ReadOnlySpan<byte>(layer.Ids + (long)(position - layer.First) * ObjectFiles.IdLength, ObjectFiles.IdLength);
    }

    /// <summary>The committer date in seconds (git's commit->date): 34 bits, the top two beside the level.</summary>
    public long Date(int position)
    {
        var record = Record(position, out _);
        var high = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(record + ObjectFiles.IdLength + 8, 4));
        var low = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(record + ObjectFiles.IdLength + 12, 4));
        return ((long)(high & 3) << 32) | low;
    }

    /// <summary>The topological level, generation number v1 (0 when not written).</summary>
    public int Level(int position) =>
        (int)(BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(Record(position, out _) + ObjectFiles.IdLength + 8, 4)) >> 2);

    /// <summary>Adds the positions of the parents of the commit at <paramref name="position"/> to <paramref name="into"/>, in order; false when the file is damaged.</summary>
    public bool TryParents(int position, List<int> into)
    {
        var record = Record(position, out var layer);
        var first = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(record + ObjectFiles.IdLength, 4));
        var second = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(record + ObjectFiles.IdLength + 4, 4));
        if (first == NoParent) return true;
        if (first >= Count) return false;
        into.Add((int)first);
        if (second == NoParent) return true;
        if ((second & EdgeFlag) == 0)
        {
            if (second >= Count) return false;
            into.Add((int)second);
            return true;
        }
        // An octopus merge: its second and later parents are in the extra edge list, the last one flagged.
        for (var at = (long)(second & ~EdgeFlag); ; at++)
        {
            if (layer.EdgeCount <= at) return false;
            var edge = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(layer.EdgeList + at * 4, 4));
            if ((edge & ~EdgeFlag) >= Count) return false;
            into.Add((int)(edge & ~EdgeFlag));
            if ((edge & EdgeFlag) != 0) return true;
        }
    }

    private byte* Record(int position, out Layer layer)
    {
        layer = LayerOf(position);
        return layer.Records + (long)(position - layer.First) * (ObjectFiles.IdLength + 16);
    }

    private Layer LayerOf(int position)
    {
        for (var i = layers.Length - 1; i > 0; i--)
            if (position >= layers[i].First) return layers[i];
        return layers[0];
    }

    public void Dispose()
    {
        foreach (var layer in layers) layer.Dispose();
    }

    /// <summary>One file of the graph: its own commits, numbered after those of the layers below it.</summary>
    private sealed class Layer : IDisposable
    {
        private readonly ObjectFiles.Mapping file;
        private readonly uint[] fanout = new uint[256];

        private Layer(ObjectFiles.Mapping file, int first) => (this.file, First) = (file, first);

        public int First { get; }
        public int Count { get; private set; }
        public byte* Ids { get; private set; }
        public byte* Records { get; private set; }
        public byte* EdgeList { get; private set; }
        public long EdgeCount { get; private set; }

        /// <summary>The layer, or null unless it is a version 1 SHA-1 file with consistent chunks and <paramref name="bases"/> layers below it.</summary>
        public static Layer? TryOpen(string path, int bases, int first)
        {
            var file = ObjectFiles.Mapping.Open(path);
            if (file is null) return null;
            var layer = new Layer(file, first);
            if (layer.TryRead(bases)) return layer;
            layer.Dispose();
            return null;
        }

        private bool TryRead(int bases)
        {
            var p = file.Pointer;
            var length = file.Length;
            // "CGPH", version 1, hash version 1 (SHA-1), chunk count, base graph count.
            if (length < 8 || !new ReadOnlySpan<byte>(p, 5).SequenceEqual("CGPH\u0001"u8) || p[5] != 1 || p[7] != bases) return false;
            int chunks = p[6];
            if (8 + (chunks + 1) * 12L > length) return false;
            long fanoutAt = -1, idsAt = -1, recordsAt = -1, edgesAt = -1, edgesEnd = -1;
            for (var c = 0; c < chunks; c++)
            {
                var entry = new ReadOnlySpan<byte>(p + 8 + c * 12, 24);
                var id = BinaryPrimitives.ReadUInt32BigEndian(entry);
                var start = (long)BinaryPrimitives.ReadUInt64BigEndian(entry[4..]);
                var end = (long)BinaryPrimitives.ReadUInt64BigEndian(entry[16..]);
                if (start < 0 || end < start || end > length) return false;
                switch (id)
                {
                    case Fanout: fanoutAt = start; break;
                    case Lookup: idsAt = start; break;
                    case Data: recordsAt = start; break;
                    case Edges: (edgesAt, edgesEnd) = (start, end); break;
                }
            }
            if (fanoutAt < 0 || idsAt < 0 || recordsAt < 0 || fanoutAt + 1024 > length) return false;
            for (var i = 0; i < 256; i++)
            {
                fanout[i] = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(p + fanoutAt + i * 4, 4));
                if (i > 0 && fanout[i] < fanout[i - 1]) return false;
            }
            Count = (int)Math.Min(fanout[255], int.MaxValue);
            if (idsAt + (long)Count * ObjectFiles.IdLength > length || recordsAt + (long)Count * (ObjectFiles.IdLength + 16) > length) return false;
            Ids = p + idsAt;
            Records = p + recordsAt;
            if (edgesAt >= 0)
            {
                EdgeList = p + edgesAt;
                EdgeCount = (edgesEnd - edgesAt) / 4;
            }
            return true;
        }

        public int Find(ReadOnlySpan<byte> id)
        {
            var low = id[0] == 0 ? 0 : (int)fanout[id[0] - 1];
            var high = (int)fanout[id[0]] - 1;
            while (low <= high)
            {
                var middle = (int)((uint)(low + high) >> 1);
                var c = new ReadOnlySpan<byte>(Ids + (long)middle * ObjectFiles.IdLength, ObjectFiles.IdLength).SequenceCompareTo(id);
                if (c == 0) return middle;
                if (c < 0) low = middle + 1;
                else high = middle - 1;
            }
            return -1;
        }

        public void Dispose() => file.Dispose();
    }
}
