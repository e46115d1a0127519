using System.Text;

namespace Capstan.Flow.Versioning;

/// <summary>
/// The commit graph saved between runs (sha, parents, committer date, message of every commit read, and the tips it was
/// read from), so the next run asks git only for the commits that are new. Commits never change, so a saved commit stays
/// right for as long as the file exists; a damaged or foreign file is ignored and rewritten.
/// </summary>
internal sealed record CommitGraphFile(CommitGraph Graph, IReadOnlyList<string> Tips)
{
    private const string Magic = "capstan-commit-graph-v1";

    public static CommitGraphFile? TryRead(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            using var reader = new BinaryReader(stream, Encoding.UTF8);
            if (reader.ReadString() != Magic) return null;
            var tips = new string[reader.ReadInt32()];
            for (var i = 0; i < tips.Length; i++) tips[i] = reader.ReadString();
            var n = reader.ReadInt32();
            var shas = new string[n];
            var parents = new int[n][];
            var when = new DateTimeOffset[n];
            var messages = new string[n];
            for (var i = 0; i < n; i++)
            {
                shas[i] = reader.ReadString();
                var seconds = reader.ReadInt64();
                var offset = TimeSpan.FromMinutes(reader.ReadInt16());
                when[i] = DateTimeOffset.FromUnixTimeSeconds(seconds).ToOffset(offset);
                var ps = new int[reader.ReadByte()];
                for (var p = 0; p < ps.Length; p++)
                {
                    ps[p] = reader.ReadInt32();
                    if ((uint)ps[p] >= (uint)n) return null;
                }
                parents[i] = ps;
                messages[i] = reader.ReadString();
            }
            return new CommitGraphFile(CommitGraph.FromArrays(shas, parents, when, messages), tips);
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or FormatException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
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
                var parents = graph.ParentArray;
                var when = graph.WhenArray;
                var messages = graph.MessageArray;
                writer.Write(shas.Length);
                for (var i = 0; i < shas.Length; i++)
                {
                    writer.Write(shas[i]);
                    writer.Write(when[i].ToUnixTimeSeconds());
                    writer.Write((short)when[i].Offset.TotalMinutes);
                    writer.Write((byte)Math.Min(parents[i].Length, byte.MaxValue));
                    for (var p = 0; p < Math.Min(parents[i].Length, byte.MaxValue); p++) writer.Write(parents[i][p]);
                    writer.Write(messages[i]);
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
