namespace Capstan.Core.Ledger;

/// <summary>Where ledger entries are kept. SQLite is the embedded default; PostgreSQL plugs in the same way.</summary>
public interface ILedgerStore : IAsyncDisposable
{
    /// <summary>The last entry's sequence number and hash, or (0, Genesis) when empty.</summary>
    Task<(long Seq, string Hash)> TailAsync(CancellationToken ct);

    /// <summary>Writes entries in one durable transaction; returns when they are on disk.</summary>
    Task AppendAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken ct);

    Task<IReadOnlyList<LedgerEntry>> QueryAsync(LedgerQuery query, CancellationToken ct);

    /// <summary>All entries in sequence order, for verification and projections.</summary>
    IAsyncEnumerable<LedgerEntry> ReadAllAsync(CancellationToken ct);
}
