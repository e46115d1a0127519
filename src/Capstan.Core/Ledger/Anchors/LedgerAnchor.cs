using System.Globalization;
using System.Text;

namespace Capstan.Core.Ledger.Anchors;

/// <summary>
/// A signed checkpoint of the ledger's head: entry <see cref="Seq"/> had hash <see cref="Hash"/> at <see cref="At"/>.
/// The signature also covers the public key and the previous anchor's commit, so an anchor cannot be moved, dropped
/// from the middle of the history, or re-signed without the key.
/// </summary>
public sealed record LedgerAnchor(long Seq, string Hash, DateTimeOffset At, string PublicKey, string? Previous, string Signature)
{
    private const string Title = "capstan ledger anchor v1";

    /// <summary>The exact bytes the signature is over.</summary>
    public static byte[] SignedBytes(long seq, string hash, DateTimeOffset at, string publicKey, string? previous) =>
        Encoding.UTF8.GetBytes($"{Title}\nseq {seq.ToString(CultureInfo.InvariantCulture)}\nhash {hash}\nat {Time(at)}\nkey {publicKey}\nprevious {previous ?? "none"}\n");

    public byte[] SignedBytes() => SignedBytes(Seq, Hash, At, PublicKey, Previous);

    public static LedgerAnchor Create(long seq, string hash, DateTimeOffset at, LedgerSigningKey key, string? previous)
    {
        at = new DateTimeOffset(at.UtcTicks - at.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero); // as git records it
        return new(seq, hash, at, key.PublicKey, previous, Convert.ToBase64String(key.Sign(SignedBytes(seq, hash, at, key.PublicKey, previous))));
    }

    public bool SignatureHolds()
    {
        try { return LedgerSigningKey.Verify(PublicKey, SignedBytes(), Convert.FromBase64String(Signature)); }
        catch (FormatException) { return false; }
    }

    /// <summary>The commit message that carries the anchor (readable with <c>git log refs/capstan/ledger-anchors</c>).</summary>
    public string ToCommitMessage() =>
        $"Anchor the ledger at entry {Seq.ToString(CultureInfo.InvariantCulture)}\n\n" +
        $"Ledger-Seq: {Seq.ToString(CultureInfo.InvariantCulture)}\nLedger-Hash: {Hash}\nLedger-At: {Time(At)}\nLedger-Key: {PublicKey}\n" +
        $"Previous-Anchor: {Previous ?? "none"}\nSignature: {Signature}\n";

    /// <summary>Reads an anchor back from its commit message, or null when the message is not one.</summary>
    public static LedgerAnchor? Parse(string message)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in message.Split('\n'))
        {
            var colon = line.IndexOf(": ", StringComparison.Ordinal);
            if (colon > 0) fields.TryAdd(line[..colon], line[(colon + 2)..].Trim());
        }
        if (!fields.TryGetValue("Ledger-Seq", out var seqText) || !long.TryParse(seqText, NumberStyles.None, CultureInfo.InvariantCulture, out var seq)
            || !fields.TryGetValue("Ledger-Hash", out var hash) || !fields.TryGetValue("Ledger-At", out var atText)
            || !DateTimeOffset.TryParse(atText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
            || !fields.TryGetValue("Ledger-Key", out var key) || !fields.TryGetValue("Previous-Anchor", out var previous)
            || !fields.TryGetValue("Signature", out var signature))
            return null;
        return new(seq, hash, at, key, previous == "none" ? null : previous, signature);
    }

    /// <summary>How anchors show a time to people: "2026-12-07 20:01:05 UTC".</summary>
    public static string Shown(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
