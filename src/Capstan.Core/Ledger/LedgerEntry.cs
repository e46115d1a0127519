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
    /// <summary>The hash that chains an entry to its predecessor; any change to a field changes it.</summary>
    public static string ComputeHash(string prevHash, long seq, DateTimeOffset at, string kind, string actor, string? room, string? thread, string data)
    {
        var text = string.Join('\n', prevHash, seq.ToString(System.Globalization.CultureInfo.InvariantCulture),
            at.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture), kind, actor, room ?? "", thread ?? "", data);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>The hash of the (empty) chain before the first entry.</summary>
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";
}

/// <summary>What a caller hands to the ledger; sequence, time and hashes are assigned on append.</summary>
public sealed record LedgerDraft(string Kind, string Actor, string? Room, string? Thread, object? Data);

/// <summary>A search over the ledger: any field left null matches everything.</summary>
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
    bool Newest = false);

/// <summary>The outcome of walking the hash chain.</summary>
public sealed record LedgerVerification(long Checked, long? FirstBadSeq, string? Problem)
{
    public bool Intact => FirstBadSeq is null;
}
