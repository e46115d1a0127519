using Capstan.Core.Storage;
using Dapper;

namespace Capstan.Delivery.Migrations;

/// <summary>
/// The delivery module's tables (ids 100–199). Earlier versions created them on first use with
/// <c>CREATE TABLE IF NOT EXISTS</c>, so the first migrations keep that form: on a folder that already has them they
/// change nothing and are only recorded.
/// </summary>
public static class DeliveryMigrations
{
    private static readonly IReadOnlyList<Migration> SqliteList =
    [
        new(100, "delivery", """
            CREATE TABLE IF NOT EXISTS delivery_deployments (
              id INTEGER PRIMARY KEY AUTOINCREMENT, app TEXT NOT NULL, env TEXT NOT NULL, version TEXT NOT NULL, commit_sha TEXT NOT NULL,
              by TEXT NOT NULL, at TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT NOT NULL, request TEXT NULL);
            CREATE INDEX IF NOT EXISTS delivery_deployments_slot ON delivery_deployments(app, env, id);
            CREATE TABLE IF NOT EXISTS delivery_approvals (
              id TEXT PRIMARY KEY, action TEXT NOT NULL, app TEXT NOT NULL, env TEXT NOT NULL, version TEXT NOT NULL, requester TEXT NOT NULL,
              room TEXT NOT NULL, thread TEXT NOT NULL, request_id TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL,
              state TEXT NOT NULL, decided_by TEXT NULL, reason TEXT NULL, message TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS delivery_threads (
              request_id TEXT PRIMARY KEY, room TEXT NOT NULL, thread TEXT NOT NULL, message_id TEXT NOT NULL, headline TEXT NOT NULL, at TEXT NOT NULL);
            """),
        // The process target's records. Folders made before parking existed have the table without the column: it is
        // added when missing (SQLite has no ADD COLUMN IF NOT EXISTS).
        new(101, "delivery-processes", """
            CREATE TABLE IF NOT EXISTS delivery_processes (
              app TEXT NOT NULL, env TEXT NOT NULL, version TEXT NOT NULL, spec_hash TEXT NOT NULL, commit_sha TEXT NOT NULL,
              pid INTEGER NOT NULL, start_mark TEXT NOT NULL, port INTEGER NOT NULL, started_at TEXT NOT NULL, is_current INTEGER NOT NULL,
              PRIMARY KEY (app, env, pid, start_mark));
            """,
            Code: async (c, tx) =>
            {
                var columns = await c.QueryAsync<string>("SELECT name FROM pragma_table_info('delivery_processes')", transaction: tx);
                if (!columns.Contains("parked")) await c.ExecuteAsync("ALTER TABLE delivery_processes ADD COLUMN parked INTEGER NOT NULL DEFAULT 0", transaction: tx);
            }),
    ];

    /// <summary>The delivery module's migrations in every dialect it has.</summary>
    public static readonly ModuleMigrations All = new("Delivery", new Dictionary<string, IReadOnlyList<Migration>> { ["sqlite"] = SqliteList });
}
