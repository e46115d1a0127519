namespace Capstan.Core.Ledger;

/// <summary>Where ledger entries are kept. SQLite is the embedded default; PostgreSQL plugs in the same way.</summary>
public interface ILedgerStore : IAsyncDisposable
{
    /// <summary>The last entry's sequence number and hash, or (0, Genesis) when empty.</summary>
    Task<(long Seq, string Hash)> TailAsync(CancellationToken ct);

    /// <summary>
    /// Chains and writes entries in one durable transaction, reading the tail inside that transaction so
    /// several processes (a server and a CLI) can append safely; returns the sealed entries once on disk.
    /// </summary>
    Task<IReadOnlyList<LedgerEntry>> AppendAsync(IReadOnlyList<UnsealedEntry> entries, CancellationToken ct);

    Task<IReadOnlyList<LedgerEntry>> QueryAsync(LedgerQuery query, CancellationToken ct);

    /// <summary>All entries in sequence order, for verification and projections.</summary>
    IAsyncEnumerable<LedgerEntry> ReadAllAsync(CancellationToken ct);
}

/// <summary>An entry ready to be chained: everything but its sequence number and hashes.</summary>
public sealed record UnsealedEntry(DateTimeOffset At, string Kind, string Actor, string? Room, string? Thread, string Data)
{
    public LedgerEntry Seal(long seq, string prevHash) =>
        new(seq, At, Kind, Actor, Room, Thread, Data, prevHash, LedgerEntry.ComputeHash(prevHash, seq, At, Kind, Actor, Room, Thread, Data));
}
