using Capstan.Delivery.Reconciliation;
using Capstan.Testing;
using Dapper;

namespace Capstan.Delivery.Tests;

/// <summary>A data folder written before the delivery tables had migrations opens with its history, approvals and process records.</summary>
public sealed class StoreUpgradeTests
{
    [Fact]
    public async Task A_folder_from_before_delivery_migrations_keeps_its_deployments_and_approvals_and_gains_the_parked_column()
    {
        var root = DeliveryNode.NewRoot();
        // The delivery tables as earlier versions created them on first use (delivery_processes from before parking).
        var path = await EarlierFolder.WriteAsync(root, """
                CREATE TABLE delivery_deployments (
                  id INTEGER PRIMARY KEY AUTOINCREMENT, app TEXT NOT NULL, env TEXT NOT NULL, version TEXT NOT NULL, commit_sha TEXT NOT NULL,
                  by TEXT NOT NULL, at TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT NOT NULL, request TEXT NULL);
                CREATE INDEX delivery_deployments_slot ON delivery_deployments(app, env, id);
                CREATE TABLE delivery_approvals (
                  id TEXT PRIMARY KEY, action TEXT NOT NULL, app TEXT NOT NULL, env TEXT NOT NULL, version TEXT NOT NULL, requester TEXT NOT NULL,
                  room TEXT NOT NULL, thread TEXT NOT NULL, request_id TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL,
                  state TEXT NOT NULL, decided_by TEXT NULL, reason TEXT NULL, message TEXT NOT NULL);
                CREATE TABLE delivery_threads (
                  request_id TEXT PRIMARY KEY, room TEXT NOT NULL, thread TEXT NOT NULL, message_id TEXT NOT NULL, headline TEXT NOT NULL, at TEXT NOT NULL);
                CREATE TABLE delivery_processes (
                  app TEXT NOT NULL, env TEXT NOT NULL, version TEXT NOT NULL, spec_hash TEXT NOT NULL, commit_sha TEXT NOT NULL,
                  pid INTEGER NOT NULL, start_mark TEXT NOT NULL, port INTEGER NOT NULL, started_at TEXT NOT NULL, is_current INTEGER NOT NULL,
                  PRIMARY KEY (app, env, pid, start_mark));
                INSERT INTO delivery_deployments (app, env, version, commit_sha, by, at, outcome, detail, request)
                  VALUES ('demo', 'prod', '0.9.0', 'abc1234', 'Old Person', '2026-11-30T09:00:00.0000000+00:00', 'healthy', '', NULL);
                INSERT INTO delivery_approvals VALUES ('A2B3C', 'deploy', 'demo', 'prod', '1.0.0', 'bob', 'ops', 't1', 'r1',
                  '2026-11-30T09:00:00.0000000+00:00', '2026-11-30T10:00:00.0000000+00:00', 'denied', 'alice', 'not today', 'deploy demo 1.0.0 to prod');
                """);
        var coreApplied = await EarlierFolder.AppliedAsync(path);

        await using var t = await DeliveryNode.StartAsync(root, start: false);
        var store = t.Get<IDeliveryStore>();
        var history = await store.DeploymentsAsync("demo", "prod", 10, default);
        Assert.Equal(("0.9.0", "Old Person"), (history.Single().Version, history.Single().By));
        var approval = await store.ApprovalAsync("a2b3c", default); // looked up ignoring case, as before
        Assert.Equal(("denied", "not today"), (approval!.State, approval.Reason));

        var applied = await EarlierFolder.AppliedAsync(path);
        Assert.Equal(coreApplied, applied.Where(a => a.Key < 100).ToDictionary()); // Core's migrations were not run again
        Assert.Equal(["delivery", "delivery-processes"], applied.Where(a => a.Key is >= 100 and < 200).Select(a => a.Value.Name).ToArray());
        await using var after = await EarlierFolder.OpenAsync(path);
        Assert.Contains("parked", await after.QueryAsync<string>("SELECT name FROM pragma_table_info('delivery_processes')"));
    }
}
