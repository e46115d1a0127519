using System.Text;

namespace Capstan.Flow.Versioning;

/// <summary>
/// Commit messages by graph index: strings for commits just read, and for commits loaded from the saved graph the
/// file's UTF-8 bytes, decoded the first time a rule asks. The rules read a few hundred of 100,000 messages, so a
/// version after one new commit no longer allocates and decodes every message of the history.
/// </summary>
internal sealed class CommitMessages
{
    private readonly string?[] decoded;
    private readonly byte[] saved;
    // Where commit i's message is in saved (its length in savedLength); unused where decoded[i] was given.
    private readonly int[] savedStart;
    private readonly int[] savedLength;
    // Messages read from the object files (see Loaded): by index, since a rule reads a few hundred of a million.
    private readonly Dictionary<int, string>? loaded;
    private readonly Func<int, string>? load;

    private CommitMessages(string?[] decoded, byte[] saved, int[] savedStart, int[] savedLength)
    {
        this.decoded = decoded;
        this.saved = saved;
        this.savedStart = savedStart;
        this.savedLength = savedLength;
    }

    private CommitMessages(Dictionary<int, string> known, Func<int, string> load)
        : this([], [], [], []) => (loaded, this.load) = (known, load);

    public static CommitMessages FromStrings(string[] messages) => new(messages, [], new int[messages.Length], new int[messages.Length]);

    /// <summary>Messages still encoded in <paramref name="file"/>: message i is <paramref name="length"/>[i] bytes at <paramref name="start"/>[i].</summary>
    public static CommitMessages FromFile(byte[] file, int[] start, int[] length) => new(new string?[start.Length], file, start, length);

    /// <summary>
    /// Messages given as strings where <paramref name="known"/> has one, and read by <paramref name="load"/> the first time
    /// a rule asks for any other: with git's commit-graph file, the rules read a few hundred of a million commits.
    /// </summary>
    public static CommitMessages Loaded(Dictionary<int, string> known, Func<int, string> load) => new(known, load);

    public int Count => decoded.Length;

    public string this[int i]
    {
        get
        {
            if (loaded is null) return decoded[i] ??= Encoding.UTF8.GetString(saved, savedStart[i], savedLength[i]);
            if (!loaded.TryGetValue(i, out var message)) loaded[i] = message = load!(i);
            return message;
        }
    }

    /// <summary>
    /// Whether message <paramref name="i"/> contains <paramref name="ascii"/> (ASCII only), ignoring case: the same answer
    /// as <see cref="string.Contains(string, StringComparison)"/> with <see cref="StringComparison.OrdinalIgnoreCase"/>.
    /// A saved message of ASCII bytes is searched without decoding it (every message since a version's source is
    /// searched for "+semver:"); any other is decoded and asked as a string, where case rules beyond ASCII apply.
    /// </summary>
    public bool Contains(int i, string ascii)
    {
        if (loaded is not null) return this[i].Contains(ascii, StringComparison.OrdinalIgnoreCase);
        if (decoded[i] is { } text) return text.Contains(ascii, StringComparison.OrdinalIgnoreCase);
        var bytes = saved.AsSpan(savedStart[i], savedLength[i]);
        if (!Ascii.IsValid(bytes)) return this[i].Contains(ascii, StringComparison.OrdinalIgnoreCase);
        var first = ascii[0];
        var (lower, upper) = ((byte)char.ToLowerInvariant(first), (byte)char.ToUpperInvariant(first));
        for (var at = bytes.IndexOfAny(lower, upper); at >= 0 && at <= bytes.Length - ascii.Length;)
        {
            if (Ascii.EqualsIgnoreCase(bytes.Slice(at, ascii.Length), ascii)) return true;
            var next = bytes[(at + 1)..].IndexOfAny(lower, upper);
            at = next < 0 ? -1 : at + 1 + next;
        }
        return false;
    }

    /// <summary>These messages after <paramref name="fresh"/> ones, as a graph built from new commits and known ones orders them.</summary>
    public CommitMessages After(IReadOnlyList<string> fresh)
    {
        var k = fresh.Count;
        var all = new string?[k + Count];
        for (var i = 0; i < k; i++) all[i] = fresh[i];
        Array.Copy(decoded, 0, all, k, Count);
        var start = new int[k + Count];
        var length = new int[k + Count];
        Array.Copy(savedStart, 0, start, k, Count);
        Array.Copy(savedLength, 0, length, k, Count);
        return new CommitMessages(all, saved, start, length);
    }

    /// <summary>Writes message <paramref name="i"/> as <see cref="BinaryWriter.Write(string)"/> would, without decoding a saved one.</summary>
    public void WriteTo(BinaryWriter writer, int i)
    {
        if (decoded[i] is { } text)
        {
            writer.Write(text);
            return;
        }
        writer.Write7BitEncodedInt(savedLength[i]);
        writer.Write(saved, savedStart[i], savedLength[i]);
    }
}
