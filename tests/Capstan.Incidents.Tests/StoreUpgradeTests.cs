using Capstan.Testing;
using Dapper;

namespace Capstan.Incidents.Tests;

/// <summary>A data folder written before the incident tables had migrations opens with its incidents, and numbering goes on.</summary>
public sealed class StoreUpgradeTests
{
    [Fact]
    public async Task A_folder_from_before_incident_migrations_keeps_its_incidents_and_numbers_the_next_one_after_them()
    {
        var root = Path.Combine(Path.GetTempPath(), "capstan-incidents-" + Guid.NewGuid().ToString("N")[..10]);
        // The incidents table as earlier versions created it on first use, with one resolved incident in it.
        var path = await EarlierFolder.WriteAsync(root, """
                CREATE TABLE incidents (
                  number INTEGER PRIMARY KEY, title TEXT NOT NULL, severity TEXT NOT NULL, status TEXT NOT NULL, commander TEXT NOT NULL,
                  comms TEXT NULL, scribe TEXT NULL, apps TEXT NOT NULL, environment TEXT NOT NULL, room TEXT NOT NULL, opened_at TEXT NOT NULL,
                  acked_at TEXT NULL, resolved_at TEXT NULL, summary TEXT NULL, last_update_at TEXT NOT NULL, reminded_at TEXT NULL,
                  escalation_level INTEGER NOT NULL DEFAULT 0, postmortem TEXT NULL, opened_by TEXT NOT NULL);
                INSERT INTO incidents VALUES (1, 'disk full on db-1', 'sev3', 'resolved', 'carol', NULL, NULL, 'api', 'prod', 'inc-1',
                  '2026-11-30T09:00:00.0000000Z', '2026-11-30T09:05:00.0000000Z', '2026-11-30T09:30:00.0000000Z', 'cleaned /var/log', '2026-11-30T09:30:00.0000000Z', NULL, 0, NULL, 'carol');
                """);

        await using var t = await IncidentNode.StartAsync(TestConfig.Yaml(), root: root);
        var old = await t.Store.GetAsync(1, default);
        Assert.Equal(("disk full on db-1", "resolved", "cleaned /var/log"), (old!.Title, old.Status, old.Summary));
        var reply = await t.RunAsync("carol", "incident open \"checkout latency\" sev2");
        Assert.Contains("INC-2", reply);

        await using var after = await EarlierFolder.OpenAsync(path);
        Assert.Equal(["incidents"], (await after.QueryAsync<string>("SELECT name FROM schema_migrations WHERE id >= 200 AND id < 300")).ToArray());
        Assert.Contains("notify_queue", await after.QueryAsync<string>("SELECT name FROM sqlite_master WHERE type = 'table'")); // the tables it lacked exist now
    }
}
