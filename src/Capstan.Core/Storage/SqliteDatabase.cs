using Dapper;
using Microsoft.Data.Sqlite;

namespace Capstan.Core.Storage;

/// <summary>The embedded SQLite database in the data folder: opens connections and applies this dialect's migrations.</summary>
public sealed class SqliteDatabase
{
    public string Path { get; }
    public string ConnectionString { get; }

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

    /// <summary>Opens a pooled connection (busy waits come from the connection string's timeout).</summary>
    public async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        var c = new SqliteConnection(ConnectionString);
        await c.OpenAsync(ct);
        return c;
    }

    /// <summary>Opens a connection whose commits are synced to disk before they return (for the ledger).</summary>
    public async Task<SqliteConnection> OpenDurableAsync(CancellationToken ct)
    {
        var c = await OpenAsync(ct);
        await c.ExecuteAsync("PRAGMA synchronous=FULL;");
        return c;
    }

    /// <summary>Creates or upgrades the schema. Each migration runs once, in order, inside a transaction.</summary>
    public async Task MigrateAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!);
        await using var c = await OpenAsync(ct);
        await c.ExecuteAsync("PRAGMA journal_mode=WAL;");
        await c.ExecuteAsync("CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
        var applied = (await c.QueryAsync<long>("SELECT id FROM schema_migrations")).ToHashSet();
        foreach (var m in SqliteMigrations.All.Where(m => !applied.Contains(m.Id)).OrderBy(m => m.Id))
        {
            await using var tx = await c.BeginTransactionAsync(ct);
            await c.ExecuteAsync(m.Sql, transaction: tx);
            await c.ExecuteAsync("INSERT INTO schema_migrations (id, name, applied_at) VALUES (@Id, @Name, @At)",
                new { m.Id, m.Name, At = DateTimeOffset.UtcNow.ToString("O") }, tx);
            await tx.CommitAsync(ct);
        }
        // An existing ledger rewritten by "ledger-compact" leaves its old pages free inside the file: give them back once.
        if (applied.Count > 0 && !applied.Contains(LedgerCompact))
            await c.ExecuteAsync("VACUUM;");
    }

    /// <summary>The migration that rewrote the ledger in its compact layout.</summary>
    private const long LedgerCompact = 5;
}

/// <summary>One schema change, written for one SQL dialect.</summary>
public sealed record Migration(long Id, string Name, string Sql);

/// <summary>SQLite's migrations. PostgreSQL keeps its own list with the same ids.</summary>
public static class SqliteMigrations
{
    public static readonly IReadOnlyList<Migration> All =
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

            """ + Ledger.SqliteLedgerStore.ProjectKeys),
    ];
}
