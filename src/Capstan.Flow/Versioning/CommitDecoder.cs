using System.Text;
using Capstan.Flow.GitObjects;

namespace Capstan.Flow.Versioning;

/// <summary>
/// Reads one commit object into what <c>git log --format=%H %ct %ci %P %B</c> would print for it. One decoder per
/// thread (it owns a zlib stream and a buffer). Gives null for anything git would print differently: a missing or
/// corrupt object, a message in another encoding (git re-encodes it), a date or zone it cannot parse, an object
/// with no blank line before its message.
/// </summary>
internal sealed class CommitDecoder : IDisposable
{
    /// <summary>A commit as git log prints it, and the date git's walk orders it by (see <see cref="WalkDate"/>).</summary>
    public sealed record DecodedCommit(CommitGraph.CommitRecord Commit, long WalkDate);

    private readonly ObjectFiles objects;
    private readonly Inflater inflater;
    private readonly byte[] id = new byte[ObjectFiles.IdLength];
    private byte[] buffer = new byte[4096];

    private CommitDecoder(ObjectFiles objects, Inflater inflater)
    {
        this.objects = objects;
        this.inflater = inflater;
    }

    public static CommitDecoder Create(ObjectFiles objects) => new(objects, Inflater.Create());

    public DecodedCommit? Decode(string sha)
    {
        if (sha.Length != 2 * ObjectFiles.IdLength || !TryHex(sha, id)) return null;
        if (objects.TryRead(id, inflater, ref buffer, out var length) != ObjectFiles.Kind.Commit) return null;
        return Parse(sha, buffer.AsSpan(0, length));
    }

    /// <summary>
    /// What <c>git for-each-ref</c> prints as %(objecttype) and, for a tag, %(*objectname) when %(*objecttype) is commit
    /// (one level of peeling, as git does); <see cref="ObjectFiles.Kind.None"/> when the object cannot be read.
    /// </summary>
    public ObjectFiles.Kind Peel(string sha, out string? commit)
    {
        commit = null;
        if (sha.Length != 2 * ObjectFiles.IdLength || !TryHex(sha, id)) return ObjectFiles.Kind.None;
        var kind = objects.TryRead(id, inflater, ref buffer, out var length);
        if (kind == ObjectFiles.Kind.Commit) commit = sha;
        if (kind != ObjectFiles.Kind.Tag) return kind;
        // "object <name>\ntype <type>\n...": git refuses a tag laid out otherwise, and then git is asked.
        ReadOnlySpan<byte> rest = buffer.AsSpan(0, length);
        if (!TryLine(ref rest, out var target) || !target.StartsWith("object "u8) || target.Length != "object ".Length + 2 * ObjectFiles.IdLength
            || !TryLine(ref rest, out var type) || !type.StartsWith("type "u8))
            return ObjectFiles.Kind.None;
        var name = Encoding.ASCII.GetString(target["object ".Length..]);
        if (!TryHex(name, stackalloc byte[ObjectFiles.IdLength])) return ObjectFiles.Kind.None;
        if (type["type ".Length..].SequenceEqual("commit"u8)) commit = name;
        return kind;
    }

    private DecodedCommit? Parse(string sha, ReadOnlySpan<byte> raw)
    {
        // git reads parents only from the lines right after "tree"; %P prints exactly those.
        var rest = raw;
        if (!TryLine(ref rest, out var first) || !first.StartsWith("tree "u8)) return null;
        var parents = new List<string>(2);
        var afterParents = rest;
        while (TryLine(ref rest, out var line) && line.StartsWith("parent "u8))
        {
            if (line.Length != "parent ".Length + 2 * ObjectFiles.IdLength) return null;
            parents.Add(Encoding.ASCII.GetString(line["parent ".Length..]));
            afterParents = rest;
        }
        var orderDate = WalkDate(afterParents);
        // The other headers, up to the blank line before the message.
        rest = afterParents;
        long? seconds = null;
        var offset = TimeSpan.Zero;
        string message;
        while (true)
        {
            // Headers only, with no blank line: git's %B then prints whatever follows the object in memory.
            if (!TryLine(ref rest, out var line)) return null;
            if (line.Length == 0)
            {
                // git prints the message up to a NUL byte, if there is one.
                var nul = rest.IndexOf((byte)0);
                message = Encoding.UTF8.GetString(nul < 0 ? rest : rest[..nul]);
                break;
            }
            if (line.StartsWith("committer "u8))
            {
                if (!TryDate(line, out var s, out offset)) return null;
                seconds = s;
            }
            else if (line.StartsWith("encoding "u8) && !IsUtf8(line["encoding ".Length..]))
                return null;
        }
        if (seconds is null) return null;
        var when = DateTimeOffset.FromUnixTimeSeconds(seconds.Value).ToOffset(offset);
        return new DecodedCommit(new CommitGraph.CommitRecord(sha, [.. parents], when, message), orderDate);
    }

    private static bool TryLine(ref ReadOnlySpan<byte> rest, out ReadOnlySpan<byte> line)
    {
        var end = rest.IndexOf((byte)'\n');
        if (end < 0)
        {
            line = default;
            return false;
        }
        line = rest[..end];
        rest = rest[(end + 1)..];
        return true;
    }

    /// <summary>
    /// The date git's walk orders commits by, read as git reads it (commit.c, parse_commit_date): the digits after the
    /// first '&gt;' of a committer line that directly follows an author line that directly follows the parents, and
    /// 0 when the object is laid out otherwise or ends right after that line. %ct prints the real date all the same.
    /// </summary>
    private static long WalkDate(ReadOnlySpan<byte> afterParents)
    {
        var rest = afterParents;
        if (!TryLine(ref rest, out var author) || !author.StartsWith("author"u8)) return 0;
        if (!rest.StartsWith("committer"u8)) return 0;
        var close = rest.IndexOf((byte)'>');
        if (close < 0) return 0;
        var date = rest[(close + 1)..];
        var end = date.IndexOf((byte)'\n');
        if (end < 0 || end == date.Length - 1) return 0;
        date = date[..end].TrimStart(" \t"u8);
        var digits = 0;
        while (digits < date.Length && date[digits] is >= (byte)'0' and <= (byte)'9') digits++;
        return System.Buffers.Text.Utf8Parser.TryParse(date[..digits], out ulong value, out _) && value <= long.MaxValue ? (long)value : 0;
    }

    private static bool IsUtf8(ReadOnlySpan<byte> name) =>
        name.SequenceEqual("UTF-8"u8) || name.SequenceEqual("utf-8"u8) || name.SequenceEqual("utf8"u8) || name.SequenceEqual("UTF8"u8);

    /// <summary>"committer Name &lt;email&gt; 1700000000 +0100": the seconds and zone after the last '&gt;'.</summary>
    private static bool TryDate(ReadOnlySpan<byte> line, out long seconds, out TimeSpan offset)
    {
        seconds = 0;
        offset = TimeSpan.Zero;
        var close = line.LastIndexOf((byte)'>');
        if (close < 0) return false;
        var tail = line[(close + 1)..].Trim((byte)' ');
        var space = tail.IndexOf((byte)' ');
        if (space <= 0) return false;
        if (!System.Buffers.Text.Utf8Parser.TryParse(tail[..space], out seconds, out var used) || used != space || seconds < 0) return false;
        return seconds <= 253402300799 && TryZone(tail[(space + 1)..], out offset);
    }

    /// <summary>A zone as git writes it, "+hhmm" or "-hhmm", within the ±14 hours a <see cref="DateTimeOffset"/> allows.</summary>
    public static bool TryZone(ReadOnlySpan<byte> zone, out TimeSpan offset)
    {
        offset = TimeSpan.Zero;
        if (zone.Length != 5 || (zone[0] != '+' && zone[0] != '-')) return false;
        foreach (var digit in zone[1..])
            if (digit is < (byte)'0' or > (byte)'9') return false;
        var minutes = ((zone[1] - '0') * 10 + (zone[2] - '0')) * 60 + (zone[3] - '0') * 10 + (zone[4] - '0');
        if (minutes > 14 * 60) return false;
        offset = TimeSpan.FromMinutes(zone[0] == '-' ? -minutes : minutes);
        return true;
    }

    /// <summary>Lower-case hex only, as git prints object names; anything else is left to git.</summary>
    internal static bool TryHex(string hex, Span<byte> bytes)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            var high = HexValue(hex[2 * i]);
            var low = HexValue(hex[2 * i + 1]);
            if ((high | low) < 0) return false;
            bytes[i] = (byte)(high << 4 | low);
        }
        return true;
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        _ => -1,
    };

    public void Dispose() => inflater.Dispose();
}
