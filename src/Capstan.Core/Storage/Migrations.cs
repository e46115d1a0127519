using System.Data.Common;

namespace Capstan.Core.Storage;

/// <summary>
/// One schema change, written for one SQL dialect. Ids are unique across owners (Core 1–99, Delivery 100–199,
/// Incidents 200–299) because one <c>schema_migrations</c> table records them all. <paramref name="Code"/> runs after
/// <paramref name="Sql"/> in the same transaction, for a change SQL alone cannot make safely (a column that may
/// already exist); <paramref name="AfterUpgrade"/> runs outside the transaction, only when the change upgraded a
/// database that already had migrations (not when it created a fresh one).
/// </summary>
public sealed record Migration(long Id, string Name, string Sql, Func<DbConnection, DbTransaction, Task>? Code = null, string? AfterUpgrade = null);

/// <summary>One owner's (Core's or a module's) migrations, one list per dialect, all with the same ids.</summary>
public sealed record ModuleMigrations(string Owner, IReadOnlyDictionary<string, IReadOnlyList<Migration>> ByDialect)
{
    /// <summary>The list for <paramref name="dialect"/>, or a sentence saying the owner does not support it.</summary>
    public IReadOnlyList<Migration> For(string dialect) => ByDialect.TryGetValue(dialect, out var list) ? list
        : throw new InvalidOperationException($"The {Owner} module has no migrations for a {dialect} database; use a dialect it supports ({string.Join(", ", ByDialect.Keys)}).");
}
