using System.Security.Cryptography;
using System.Text;

namespace Capstan.Core.Ledger;

/// <summary>One durable, hash-chained record of something said or done.</summary>
public sealed record LedgerEntry(
    long Seq,
    DateTimeOffset At,
    string Kind,
    string Actor,
    string? Room,
    string? Thread,
    string Data,
    string PrevHash,
    string Hash)
{
    /// <summary>
    /// The hash that chains an entry to its predecessor; any change to a field changes it. It is the SHA-256 of the
    /// fields' UTF-8 text joined by newlines (time in round-trip "O" form, absent room or thread as empty text),
    /// written into one pooled buffer: appends are on the ledger's hot path.
    /// </summary>
    public static string ComputeHash(string prevHash, long seq, DateTimeOffset at, string kind, string actor, string? room, string? thread, string data)
    {
        Span<char> number = stackalloc char[20];
        seq.TryFormat(number, out var numberLength, default, System.Globalization.CultureInfo.InvariantCulture);
        Span<char> time = stackalloc char[33];
        at.UtcDateTime.TryFormat(time, out var timeLength, "O", System.Globalization.CultureInfo.InvariantCulture);
        room ??= "";
        thread ??= "";
        var utf8 = Encoding.UTF8;
        var size = utf8.GetMaxByteCount(prevHash.Length + numberLength + timeLength + kind.Length + actor.Length + room.Length + thread.Length + data.Length) + 7;
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(size);
        try
        {
            var n = 0;
            void Put(ReadOnlySpan<char> field, bool last = false)
            {
                n += utf8.GetBytes(field, buffer.AsSpan(n));
                if (!last) buffer[n++] = (byte)'\n';
            }
            Put(prevHash);
            Put(number[..numberLength]);
            Put(time[..timeLength]);
            Put(kind);
            Put(actor);
            Put(room);
            Put(thread);
            Put(data, last: true);
            Span<byte> hash = stackalloc byte[32];
            SHA256.HashData(buffer.AsSpan(0, n), hash);
            return Convert.ToHexStringLower(hash);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The hash of the (empty) chain before the first entry.</summary>
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";
}

/// <summary>What a caller hands to the ledger; sequence, time and hashes are assigned on append.</summary>
public sealed record LedgerDraft(string Kind, string Actor, string? Room, string? Thread, object? Data);

/// <summary>
/// A search over the ledger: any field left null matches everything. With <see cref="Reader"/>, entries in other
/// people's direct-message rooms are left out (what that person may see; admins search without it).
/// </summary>
public sealed record LedgerQuery(
    long After = 0,
    int Limit = 100,
    string? Actor = null,
    string? Room = null,
    string? Kind = null,
    string? Thread = null,
    DateTimeOffset? Since = null,
    DateTimeOffset? Until = null,
    string? Text = null,
    bool Newest = false,
    string? Reader = null);

/// <summary>The outcome of walking the hash chain.</summary>
public sealed record LedgerVerification(long Checked, long? FirstBadSeq, string? Problem)
{
    public bool Intact => FirstBadSeq is null;
}
