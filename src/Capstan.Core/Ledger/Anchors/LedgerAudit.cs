using System.Runtime.CompilerServices;

namespace Capstan.Core.Ledger.Anchors;

/// <summary>What <c>capstan ledger verify</c> found: each problem is a sentence; none means the ledger is intact.</summary>
public sealed record LedgerAuditReport(long Checked, int AnchorsChecked, LedgerAnchor? Anchored, IReadOnlyList<string> Problems)
{
    public bool Intact => Problems.Count == 0;

    /// <summary>One line for an intact ledger: how much was checked and what it is anchored at.</summary>
    public string Summary => Anchored is { } a
        ? $"Ledger intact: {Checked} entries checked; entry {a.Seq} was anchored at {LedgerAnchor.Shown(a.At)} (key {LedgerAudit.Short(a.PublicKey)}), {AnchorsChecked} anchor{(AnchorsChecked == 1 ? "" : "s")} checked."
        : $"Ledger intact: {Checked} entries checked; not anchored yet (Capstan anchors the ledger within a minute of an append while it runs, and when it stops).";
}

/// <summary>
/// Checks the ledger against its anchors: the hash chain entry by entry, every anchor's signature, key and place in the
/// anchor history, and the database against what the anchors recorded — naming truncation (anchored entries are
/// missing), rechaining (an anchored entry's hash differs: the chain was recomputed after a change), a replaced key,
/// and entries left without an anchor for longer than <see cref="UnanchoredGrace"/>.
/// </summary>
public static class LedgerAudit
{
    /// <summary>How long an entry may stay unanchored before verify says so (a running server anchors every minute).</summary>
    public static readonly TimeSpan UnanchoredGrace = TimeSpan.FromMinutes(5);

    /// <param name="expectedKey">The public key the anchors must carry (<c>--public-key</c>, or the key Capstan signs with now), when known.</param>
    /// <param name="expectedKeySource">Where <paramref name="expectedKey"/> came from, for the sentence.</param>
    public static async Task<LedgerAuditReport> RunAsync(ILedgerStore store, IReadOnlyList<AnchorCommit> anchors, string? expectedKey, string? expectedKeySource, TimeProvider clock, CancellationToken ct)
    {
        var problems = new List<string>();
        var trusted = TrustedAnchors(anchors, expectedKey, expectedKeySource, problems);

        // One walk over the entries: the chain check, and each anchored entry's hash taken on the way.
        var anchoredSeqs = trusted.Select(a => a.Seq).ToHashSet();
        var seen = new Dictionary<long, string>();
        var chain = await Ledger.VerifyAsync(new Tapped(store, e => { if (anchoredSeqs.Contains(e.Seq)) seen[e.Seq] = e.Hash; }), ct);
        if (!chain.Intact)
            problems.Add($"The hash chain is broken at entry {chain.FirstBadSeq}: {chain.Problem}; the {chain.Checked} entries before it are intact.");

        var (tail, _) = await store.TailAsync(ct);
        var newest = trusted.Count == 0 ? null : trusted.MaxBy(a => a.Seq);
        if (newest is not null && newest.Seq > tail)
            problems.Add(tail == 0
                ? $"Entries 1–{newest.Seq} were anchored at {LedgerAnchor.Shown(newest.At)} but are missing: the ledger is empty."
                : $"Entries {tail + 1}–{newest.Seq} were anchored at {LedgerAnchor.Shown(newest.At)} but are missing: the ledger was cut short after they were written.");

        long lastMatching = 0;
        foreach (var a in trusted.Where(a => a.Seq <= tail).OrderBy(a => a.Seq))
        {
            if (!seen.TryGetValue(a.Seq, out var hash)) continue; // past a chain break: already named
            if (hash == a.Hash) { lastMatching = Math.Max(lastMatching, a.Seq); continue; }
            var where = lastMatching > 0
                ? $"entries up to {lastMatching} still match their anchor, so the change is in entries {lastMatching + 1}–{a.Seq}"
                : $"the change is in entries 1–{a.Seq}";
            problems.Add($"Entry {a.Seq} differs from the anchor of {LedgerAnchor.Shown(a.At)}: the chain was recomputed after it was changed ({where}).");
            break; // every later anchor differs because of the same change
        }

        var anchoredUpTo = newest?.Seq ?? 0;
        if (tail > anchoredUpTo)
        {
            var first = (await store.QueryAsync(new LedgerQuery(After: anchoredUpTo, Limit: 1), ct)).FirstOrDefault();
            var last = (await store.QueryAsync(new LedgerQuery(After: tail - 1, Limit: 1), ct)).FirstOrDefault();
            if (first is not null && last is not null && clock.GetUtcNow() - first.At > UnanchoredGrace)
                problems.Add($"Entries {first.Seq}–{last.Seq} ({LedgerAnchor.Shown(first.At)} to {LedgerAnchor.Shown(last.At)}) have no anchor, and " +
                    (newest is null ? "there is no anchor at all" : $"the newest anchor is from {LedgerAnchor.Shown(newest.At)}") +
                    ": anchoring stopped or anchors were removed. If Capstan crashed, start it again to anchor them; if the anchors are mirrored, verify with --anchors MIRROR.");
        }
        return new(chain.Checked, trusted.Count, problems.Count == 0 ? newest : null, problems);
    }

    /// <summary>The anchors whose signature, key and place hold; a sentence for each one that does not.</summary>
    private static List<LedgerAnchor> TrustedAnchors(IReadOnlyList<AnchorCommit> anchors, string? expectedKey, string? expectedKeySource, List<string> problems)
    {
        var trusted = new List<LedgerAnchor>();
        var pinned = anchors.Select(a => a.Anchor).FirstOrDefault(a => a is not null && a.SignatureHolds())?.PublicKey;
        if (pinned is not null && expectedKey is not null && expectedKey != pinned)
            problems.Add($"The first anchor pins the signing key {Short(pinned)}, but {expectedKeySource ?? "the key given"} is {Short(expectedKey)}: the signing key was replaced since the first anchor.");
        foreach (var c in anchors)
        {
            if (c.Anchor is not { } a)
            {
                problems.Add($"Commit {c.ShortSha} on {AnchorHistory.Ref} is not a ledger anchor (its message has no signed anchor fields): someone wrote to the anchor history by hand.");
                continue;
            }
            var which = $"The anchor of {LedgerAnchor.Shown(a.At)} (entry {a.Seq}, commit {c.ShortSha})";
            if (!a.SignatureHolds())
            {
                problems.Add($"{which} has a bad signature: it was edited, or written without Capstan's signing key.");
                continue;
            }
            if (a.PublicKey != pinned)
            {
                problems.Add($"{which} is signed with the key {Short(a.PublicKey)}, not the key the first anchor pinned ({Short(pinned!)}): the signing key was replaced.");
                continue;
            }
            var parent = c.Parents.Count > 0 ? c.Parents[0] : null;
            if (a.Previous != parent)
                problems.Add($"{which} was signed to follow {(a.Previous is null ? "no anchor" : "commit " + a.Previous[..Math.Min(7, a.Previous.Length)])} but follows {(parent is null ? "none" : "commit " + parent[..7])}: anchors were removed or reordered.");
            trusted.Add(a);
        }
        return trusted;
    }

    /// <summary>A public key shortened for sentences: its first 12 characters after the algorithm.</summary>
    public static string Short(string publicKey) => publicKey.Length > 20 ? publicKey[..20] + "…" : publicKey;

    /// <summary>The store, reporting each entry that <see cref="ILedgerStore.ReadAllAsync"/> hands out.</summary>
    private sealed class Tapped(ILedgerStore inner, Action<LedgerEntry> seen) : ILedgerStore
    {
        public Task<(long Seq, string Hash)> TailAsync(CancellationToken ct) => inner.TailAsync(ct);
        public Task<IReadOnlyList<LedgerEntry>> AppendAsync(IReadOnlyList<UnsealedEntry> entries, CancellationToken ct) => inner.AppendAsync(entries, ct);
        public Task<IReadOnlyList<LedgerEntry>> QueryAsync(LedgerQuery query, CancellationToken ct) => inner.QueryAsync(query, ct);

        public async IAsyncEnumerable<LedgerEntry> ReadAllAsync([EnumeratorCancellation] CancellationToken ct)
        {
            await foreach (var e in inner.ReadAllAsync(ct))
            {
                seen(e);
                yield return e;
            }
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask; // the caller owns the inner store
    }
}
