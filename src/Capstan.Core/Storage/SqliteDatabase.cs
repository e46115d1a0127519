using Dapper;
using Microsoft.Data.Sqlite;

namespace Capstan.Core.Storage;

/// <summary>
/// The embedded SQLite database in the data folder: opens connections, speaks SQLite's dialect and applies each
/// owner's SQLite migrations. The one place (with <see cref="Ledger.SqliteLedgerStore"/>, whose append path is
/// built on SQLite's WAL) that knows the database is SQLite.
/// </summary>
public sealed class SqliteDatabase : IDatabase
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Task>> _migrated = new(StringComparer.Ordinal);

    public string Path { get; }
    public string ConnectionString { get; }
    public StoreDialect Sql { get; } = new SqliteDialect();

    public SqliteDatabase(string path)
    {
        Path = path;
        ConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            DefaultTimeout = 30,
            Pooling = true,
        }.ToString();
    }

    /// <summary>How long SQLite itself waits for another connection's write lock before a statement gives up.</summary>
    public const int BusyWaitMs = 30_000;

    /// <summary>
    /// Opens a pooled connection. SQLite's own busy handler waits for another writer (sleeping 1, 2, 5, 10 … ms): without
    /// it Microsoft.Data.Sqlite retries a busy statement after sleeping 150 ms, so any write that met the ledger's writer
    /// mid-commit answered 150 ms late (the chat adapters' round trips showed it: ~150 ms over the web chat).
    /// </summary>
    public async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        var c = new SqliteConnection(ConnectionString);
        await c.OpenAsync(ct);
        await using (var busy = c.CreateCommand())
        {
            busy.CommandText = $"PRAGMA busy_timeout={BusyWaitMs};";
            await busy.ExecuteNonQueryAsync(ct);
        }
        return c;
    }

    public async Task<System.Data.Common.DbConnection> OpenConnectionAsync(CancellationToken ct) => await OpenAsync(ct);

    /// <summary>Opens a connection whose commits are synced to disk before they return (for the ledger).</summary>
    public async Task<SqliteConnection> OpenDurableAsync(CancellationToken ct)
    {
        var c = await OpenAsync(ct);
        await c.ExecuteAsync("PRAGMA synchronous=FULL;");
        return c;
    }

    /// <summary>Creates or upgrades Core's schema (the ledger, access tokens, jobs).</summary>
    public Task MigrateAsync(CancellationToken ct) => MigrateAsync(CoreMigrations.All, ct);

    public async Task MigrateAsync(ModuleMigrations migrations, CancellationToken ct)
    {
        var run = _migrated.GetOrAdd(migrations.Owner, _ => new Lazy<Task>(() => ApplyAsync(migrations.For(Sql.Name), CancellationToken.None)));
        try { await run.Value.WaitAsync(ct); }
        catch (Exception) when (run.Value.IsFaulted)
        {
            _migrated.TryRemove(new(migrations.Owner, run)); // the next caller tries again (and sees the same error if it persists)
            throw;
        }
    }

    /// <summary>Each migration runs once, in order, inside a transaction that checks again that no other process ran it first.</summary>
    private async Task ApplyAsync(IReadOnlyList<Migration> list, CancellationToken ct)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!);
        await using var c = await OpenAsync(ct);
        await c.ExecuteAsync("PRAGMA journal_mode=WAL;");
        await c.ExecuteAsync("CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
        var applied = (await c.QueryAsync<long>("SELECT id FROM schema_migrations")).ToHashSet();
        foreach (var m in list.Where(m => !applied.Contains(m.Id)).OrderBy(m => m.Id))
        {
            await using (var tx = await c.BeginTransactionAsync(ct))
            {
                if (await c.ExecuteScalarAsync<long>("SELECT count(*) FROM schema_migrations WHERE id = @Id", new { m.Id }, tx) > 0) continue;
                await c.ExecuteAsync(m.Sql, transaction: tx);
                if (m.Code is not null) await m.Code(c, tx);
                await c.ExecuteAsync("INSERT INTO schema_migrations (id, name, applied_at) VALUES (@Id, @Name, @At)",
                    new { m.Id, m.Name, At = DateTimeOffset.UtcNow.ToString("O") }, tx);
                await tx.CommitAsync(ct);
            }
            if (applied.Count > 0 && m.AfterUpgrade is not null) await c.ExecuteAsync(m.AfterUpgrade);
        }
    }
}

/// <summary>SQLite's fragments: NOCASE collation, and BEGIN IMMEDIATE for a transaction that writes.</summary>
public sealed class SqliteDialect : StoreDialect
{
    public override string Name => "sqlite";

    public override string EqualsIgnoringCase(string column, string parameter) => $"{column} = {parameter} COLLATE NOCASE";

    public override async Task<System.Data.Common.DbTransaction> BeginWriteAsync(System.Data.Common.DbConnection connection, CancellationToken ct) =>
        // Microsoft.Data.Sqlite begins a non-deferred transaction (BEGIN IMMEDIATE) for Serializable: the write lock is taken at once.
        await connection.BeginTransactionAsync(System.Data.IsolationLevel.Serializable, ct);
}

/// <summary>Core's migrations (the ledger, access tokens, jobs): ids 1–99. A PostgreSQL list would keep the same ids.</summary>
public static class CoreMigrations
{
    /// <summary>Core's SQLite migrations, as earlier versions applied them (same ids and names, so an existing folder runs none again).</summary>
    public static IReadOnlyList<Migration> Sqlite => SqliteList;

    private static readonly IReadOnlyList<Migration> SqliteList =
    [
        new(1, "ledger", """
            CREATE TABLE ledger (
              seq INTEGER PRIMARY KEY,
              at TEXT NOT NULL,
              kind TEXT NOT NULL,
              actor TEXT NOT NULL,
              room TEXT NULL,
              thread TEXT NULL,
              data TEXT NOT NULL,
              prev_hash TEXT NOT NULL,
              hash TEXT NOT NULL
            );
            CREATE INDEX ledger_room ON ledger(room, seq);
            CREATE INDEX ledger_actor ON ledger(actor, seq);
            CREATE INDEX ledger_kind ON ledger(kind, seq);
            CREATE INDEX ledger_thread ON ledger(thread, seq);
            """),
        new(2, "access", """
            CREATE TABLE access_tokens (
              id TEXT PRIMARY KEY,
              person TEXT NOT NULL,
              kind TEXT NOT NULL,
              secret_hash TEXT NOT NULL UNIQUE,
              label TEXT NOT NULL,
              created_at TEXT NOT NULL,
              expires_at TEXT NULL,
              used_at TEXT NULL,
              revoked_at TEXT NULL
            );
            CREATE INDEX access_tokens_person ON access_tokens(person);
            """),
        new(3, "jobs", """
            CREATE TABLE jobs (
              id INTEGER PRIMARY KEY AUTOINCREMENT,
              kind TEXT NOT NULL,
              title TEXT NOT NULL,
              actor TEXT NOT NULL,
              room TEXT NOT NULL,
              thread TEXT NOT NULL,
              progress_message TEXT NULL,
              state TEXT NOT NULL,
              percent REAL NULL,
              status TEXT NOT NULL,
              summary TEXT NULL,
              result TEXT NULL,
              resume TEXT NULL,
              timeout_ms INTEGER NOT NULL,
              created_at TEXT NOT NULL,
              ended_at TEXT NULL
            );
            CREATE INDEX jobs_state ON jobs(state, id);
            CREATE TABLE job_output (
              job INTEGER NOT NULL REFERENCES jobs(id),
              seq INTEGER NOT NULL,
              line TEXT NOT NULL,
              PRIMARY KEY (job, seq)
            );
            """),
        // The ledger's search keys move out of the append path: four indexes on every entry were the largest cost of a
        // durable append. ledger_keys is a projection of the ledger, filled in bulk (SqliteLedgerStore), and searched
        // together with the few newest entries it does not hold yet.
        new(4, "ledger-keys", """
            CREATE TABLE ledger_keys (
              seq INTEGER PRIMARY KEY,
              room TEXT NULL,
              actor TEXT NOT NULL,
              kind TEXT NOT NULL,
              thread TEXT NULL
            );
            INSERT INTO ledger_keys (seq, room, actor, kind, thread) SELECT seq, room, actor, kind, thread FROM ledger;
            CREATE INDEX ledger_keys_room ON ledger_keys(room, seq);
            CREATE INDEX ledger_keys_actor ON ledger_keys(actor, seq);
            CREATE INDEX ledger_keys_kind ON ledger_keys(kind, seq);
            CREATE INDEX ledger_keys_thread ON ledger_keys(thread, seq);
            DROP INDEX ledger_room;
            DROP INDEX ledger_actor;
            DROP INDEX ledger_kind;
            DROP INDEX ledger_thread;
            """),
        // The ledger's disk footprint (about 2.2 KB per chat command before, see docs/benchmarks.md): the hash is kept as
        // its 32 bytes instead of 64 hex characters, the previous hash is not kept at all (it is the previous entry's
        // hash, which is what the chain says), and the time is kept as its ticks (exact: the hash covers its "O" text,
        // which ticks give back). The search keys become one table without a rowid, a row per (key, value, entry),
        // instead of a copy of four columns plus four indexes over them; ledger_keys_mark says how far they reach.
        // A value that cannot be converted is kept as it was, so `ledger verify` names that entry instead of the
        // migration failing or hiding it.
        new(5, "ledger-compact", """
            CREATE TABLE ledger_compact (
              seq INTEGER PRIMARY KEY,
              at INTEGER NOT NULL,
              kind TEXT NOT NULL,
              actor TEXT NOT NULL,
              room TEXT NULL,
              thread TEXT NULL,
              data TEXT NOT NULL,
              hash BLOB NOT NULL
            );
            INSERT INTO ledger_compact (seq, at, kind, actor, room, thread, data, hash)
            SELECT seq,
                   CASE WHEN at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9][0-9][0-9][0-9][0-9]Z'
                             AND strftime('%s', substr(at, 1, 19)) IS NOT NULL
                        THEN (CAST(strftime('%s', substr(at, 1, 19)) AS INTEGER) + 62135596800) * 10000000 + CAST(substr(at, 21, 7) AS INTEGER)
                        ELSE at END,
                   kind, actor, room, thread, data,
                   CASE WHEN length(hash) = 64 AND unhex(hash) IS NOT NULL THEN unhex(hash) ELSE hash END
            FROM ledger;
            DROP TABLE ledger;
            ALTER TABLE ledger_compact RENAME TO ledger;
            DROP TABLE ledger_keys;
            CREATE TABLE ledger_keys (
              key INTEGER NOT NULL,
              value TEXT NOT NULL,
              seq INTEGER NOT NULL,
              PRIMARY KEY (key, value, seq)
            ) WITHOUT ROWID;
            CREATE TABLE ledger_keys_mark (seq INTEGER NOT NULL);
            INSERT INTO ledger_keys_mark (seq) VALUES (0);

            """ + Ledger.SqliteLedgerStore.ProjectKeys,
            // An existing ledger rewritten in the compact layout leaves its old pages free inside the file: give them back once.
            AfterUpgrade: "VACUUM;"),
    ];

    /// <summary>Core's migrations in every dialect it has (declared after the lists it names: statics initialise in order).</summary>
    public static readonly ModuleMigrations All = new("Core", new Dictionary<string, IReadOnlyList<Migration>> { ["sqlite"] = SqliteList });
}
