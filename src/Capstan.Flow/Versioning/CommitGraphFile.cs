using System.Text;

namespace Capstan.Flow.Versioning;

/// <summary>
/// The commit graph saved between runs (sha, parents, committer date, message of every commit read, and the tips it was
/// read from), so the next run asks git only for the commits that are new. Commits never change, so a saved commit stays
/// right for as long as the file exists; a damaged or foreign file is ignored and rewritten.
/// </summary>
internal sealed record CommitGraphFile(CommitGraph Graph, IReadOnlyList<string> Tips)
{
    private const string Magic = "capstan-commit-graph-v2";

    public static CommitGraphFile? TryRead(string path)
    {
        byte[] bytes;
        try
        {
            if (!File.Exists(path)) return null;
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        try
        {
            // One read and span parsing: at 100k commits this is several times faster than a BinaryReader over a stream.
            var r = new SpanReader(bytes);
            if (r.String() != Magic) return null;
            var tips = new string[r.Int32()];
            for (var i = 0; i < tips.Length; i++) tips[i] = r.String();
            var n = r.Int32();
            var shas = new string[n];
            var when = new DateTimeOffset[n];
            var messageStart = new int[n];
            var messageLength = new int[n];
            var generation = new int[n];
            var parentStart = new int[n + 1];
            var parentList = new int[r.Int32()];
            var at = 0;
            for (var i = 0; i < n; i++)
            {
                shas[i] = r.String();
                var seconds = r.Int64();
                when[i] = DateTimeOffset.FromUnixTimeSeconds(seconds).ToOffset(TimeSpan.FromMinutes(r.Int16()));
                generation[i] = r.Int32();
                parentStart[i] = at;
                for (int p = 0, count = r.Byte(); p < count; p++)
                {
                    var parent = r.Int32();
                    if ((uint)parent >= (uint)n) return null;
                    parentList[at++] = parent;
                }
                (messageStart[i], messageLength[i]) = r.Bounds(); // decoded only if a rule reads it
            }
            parentStart[n] = at;
            if (at != parentList.Length) return null;
            return new CommitGraphFile(CommitGraph.FromArrays(shas, parentStart, parentList, when, CommitMessages.FromFile(bytes, messageStart, messageLength), generation), tips);
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or FormatException or OverflowException)
        {
            return null;
        }
    }

    /// <summary>Reads what <see cref="BinaryWriter"/> wrote (little-endian numbers, 7-bit length-prefixed UTF-8 strings).</summary>
    private ref struct SpanReader(ReadOnlySpan<byte> bytes)
    {
        private readonly ReadOnlySpan<byte> bytes = bytes;
        private int position;

        public byte Byte() => bytes[position++];

        public short Int16() { var v = System.Buffers.Binary.BinaryPrimitives.ReadInt16LittleEndian(bytes[position..]); position += 2; return v; }

        public int Int32() { var v = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(bytes[position..]); position += 4; return v; }

        public long Int64() { var v = System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(bytes[position..]); position += 8; return v; }

        public string String()
        {
            var (start, length) = Bounds();
            return Encoding.UTF8.GetString(bytes.Slice(start, length));
        }

        /// <summary>Where the next string's UTF-8 bytes are, skipping them.</summary>
        public (int Start, int Length) Bounds()
        {
            int length = 0, shift = 0;
            byte b;
            do
            {
                if (shift > 28) throw new FormatException("bad string length");
                b = bytes[position++];
                length |= (b & 0x7F) << shift;
                shift += 7;
            } while ((b & 0x80) != 0);
            if ((uint)length > (uint)(bytes.Length - position)) throw new FormatException("string past the end");
            var start = position;
            position += length;
            return (start, length);
        }
    }

    /// <summary>Saves <paramref name="graph"/> atomically (a temporary file renamed over the old one), so readers never see half a file.</summary>
    public static void Write(string path, CommitGraph graph, IReadOnlyList<string> tips)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temp = path + "." + Environment.ProcessId + ".tmp";
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            using (var writer = new BinaryWriter(stream, Encoding.UTF8))
            {
                writer.Write(Magic);
                writer.Write(tips.Count);
                foreach (var t in tips) writer.Write(t);
                var shas = graph.ShaArray;
                var parentStart = graph.ParentStartArray;
                var parentList = graph.ParentListArray;
                var when = graph.WhenArray;
                var messages = graph.Messages;
                var generation = graph.GenerationArray;
                writer.Write(shas.Length);
                var kept = 0;
                for (var i = 0; i < shas.Length; i++) kept += Math.Min(parentStart[i + 1] - parentStart[i], byte.MaxValue);
                writer.Write(kept);
                for (var i = 0; i < shas.Length; i++)
                {
                    writer.Write(shas[i]);
                    writer.Write(when[i].ToUnixTimeSeconds());
                    writer.Write((short)when[i].Offset.TotalMinutes);
                    writer.Write(generation[i]);
                    var count = Math.Min(parentStart[i + 1] - parentStart[i], byte.MaxValue);
                    writer.Write((byte)count);
                    for (var p = 0; p < count; p++) writer.Write(parentList[parentStart[i] + p]);
                    messages.WriteTo(writer, i);
                }
            }
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only repository still gets its version; it just is not faster next time.
        }
    }
}
