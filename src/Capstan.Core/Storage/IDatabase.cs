using System.Data.Common;

namespace Capstan.Core.Storage;

/// <summary>
/// The node's database as the stores see it: one dialect (SQLite today), its connections, its SQL fragments and its
/// migrations. Stores write their SQL in the subset both dialects share and ask <see cref="Sql"/> for what differs;
/// a second dialect (PostgreSQL) is a second implementation of this interface plus each module's migrations for it.
/// </summary>
public interface IDatabase
{
    /// <summary>The SQL fragments and locking of this database's dialect.</summary>
    StoreDialect Sql { get; }

    /// <summary>Opens a pooled connection.</summary>
    Task<DbConnection> OpenConnectionAsync(CancellationToken ct);

    /// <summary>
    /// Applies one owner's migrations for this dialect, each once, in order, inside a transaction, and remembers that
    /// it did for as long as this process runs (a store calls it before its first statement).
    /// </summary>
    Task MigrateAsync(ModuleMigrations migrations, CancellationToken ct);
}
