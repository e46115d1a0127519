using Capstan.Core.Storage;

namespace Capstan.Incidents.Migrations;

/// <summary>
/// The incidents module's tables (ids 200–299). Earlier versions created them on first use with
/// <c>CREATE TABLE IF NOT EXISTS</c>, so the first migration keeps that form: on a folder that already has them it
/// changes nothing and is only recorded.
/// </summary>
public static class IncidentMigrations
{
    private static readonly IReadOnlyList<Migration> SqliteList =
    [
        new(200, "incidents", """
            CREATE TABLE IF NOT EXISTS incidents (
              number INTEGER PRIMARY KEY, title TEXT NOT NULL, severity TEXT NOT NULL, status TEXT NOT NULL, commander TEXT NOT NULL,
              comms TEXT NULL, scribe TEXT NULL, apps TEXT NOT NULL, environment TEXT NOT NULL, room TEXT NOT NULL, opened_at TEXT NOT NULL,
              acked_at TEXT NULL, resolved_at TEXT NULL, summary TEXT NULL, last_update_at TEXT NOT NULL, reminded_at TEXT NULL,
              escalation_level INTEGER NOT NULL DEFAULT 0, postmortem TEXT NULL, opened_by TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS incident_notified (
              number INTEGER NOT NULL, target TEXT NOT NULL, severity TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (number, target));
            CREATE TABLE IF NOT EXISTS incident_tasks (
              id INTEGER PRIMARY KEY AUTOINCREMENT, number INTEGER NOT NULL, text TEXT NOT NULL, owner TEXT NULL, created_by TEXT NOT NULL,
              at TEXT NOT NULL, done INTEGER NOT NULL DEFAULT 0);
            CREATE TABLE IF NOT EXISTS alert_groups (
              group_key TEXT PRIMARY KEY, incident INTEGER NULL, status TEXT NOT NULL, updated_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS alert_alerts (
              group_key TEXT NOT NULL, fingerprint TEXT NOT NULL, status TEXT NOT NULL, starts_at TEXT NOT NULL, ends_at TEXT NULL,
              summary TEXT NOT NULL, PRIMARY KEY (group_key, fingerprint));
            CREATE TABLE IF NOT EXISTS oncall_overrides (
              id INTEGER PRIMARY KEY AUTOINCREMENT, team TEXT NOT NULL, person TEXT NOT NULL, from_at TEXT NOT NULL, until_at TEXT NOT NULL, by TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS notify_queue (
              id INTEGER PRIMARY KEY AUTOINCREMENT, channel TEXT NOT NULL, target TEXT NOT NULL, event TEXT NOT NULL, body TEXT NOT NULL,
              attempts INTEGER NOT NULL DEFAULT 0, next_at TEXT NOT NULL, state TEXT NOT NULL, last_error TEXT NULL, created_at TEXT NOT NULL,
              delivered_at TEXT NULL);
            CREATE INDEX IF NOT EXISTS notify_queue_due ON notify_queue(state, next_at);
            """),
    ];

    /// <summary>The incidents module's migrations in every dialect it has.</summary>
    public static readonly ModuleMigrations All = new("Incidents", new Dictionary<string, IReadOnlyList<Migration>> { ["sqlite"] = SqliteList });
}
