using System.Data.Common;

namespace Capstan.Core.Storage;

/// <summary>
/// What a store's SQL cannot say the same way in every dialect. Everything else — <c>INSERT … ON CONFLICT … DO UPDATE</c>,
/// <c>ON CONFLICT DO NOTHING</c>, <c>RETURNING id</c>, <c>LIMIT</c>, <c>COALESCE</c> — is written once, in the subset
/// SQLite and PostgreSQL share.
/// </summary>
public abstract class StoreDialect
{
    /// <summary>The name migrations are kept under (<c>sqlite</c>, <c>postgres</c>).</summary>
    public abstract string Name { get; }

    /// <summary>A condition that <paramref name="column"/> equals <paramref name="parameter"/> ignoring ASCII case.</summary>
    public abstract string EqualsIgnoringCase(string column, string parameter);

    /// <summary>
    /// Begins a transaction that holds the write lock from its first statement, so a read-then-write inside it (the
    /// next incident number) cannot interleave with another writer's.
    /// </summary>
    public abstract Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken ct);
}
