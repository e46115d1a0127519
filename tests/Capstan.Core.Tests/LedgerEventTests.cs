using System.Text.Json;
using Capstan.Core.Ledger;
using Capstan.Core.Ledger.Events;
using Capstan.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Capstan.Core.Tests;

/// <summary>
/// Ledger entries already on disk were written from anonymous objects; the typed events that replaced them must write
/// the same bytes (the hash chain covers them, and readers of older entries must read them the same way).
/// </summary>
public sealed class LedgerEventTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "capstan-events-" + Guid.NewGuid().ToString("N")[..8]);
    private SqliteDatabase _db = null!;
    private SqliteLedgerStore _store = null!;
    private Ledger.Ledger _ledger = null!;

    public async Task InitializeAsync()
    {
        _db = new SqliteDatabase(Path.Combine(_dir, "capstan.db"));
        await _db.MigrateAsync(default);
        _store = new SqliteLedgerStore(_db);
        _ledger = await Ledger.Ledger.OpenAsync(_store, TimeProvider.System, new Redactor(), default);
    }

    public async Task DisposeAsync()
    {
        await _ledger.DisposeAsync();
        await _store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, true);
    }

    private async Task SameBytesAsync<T>(T typed, object before) where T : ILedgerEvent
    {
        var old = await _ledger.AppendAsync(T.EventKind, "capstan", "ops", null, before);
        var now = await _ledger.AppendAsync(typed, "capstan", "ops");
        Assert.Equal(old.Kind, now.Kind);
        Assert.Equal(old.Data, now.Data);
        // An entry written before the records reads as the record (compared as JSON: lists compare by reference).
        Assert.Equal(JsonSerializer.Serialize(typed, Ledger.Ledger.Json), JsonSerializer.Serialize(old.As<T>(), Ledger.Ledger.Json));
    }

    [Fact]
    public async Task Delivery_events_are_stored_exactly_as_the_entries_written_before_them()
    {
        var expires = new DateTimeOffset(2026, 12, 7, 10, 0, 0, TimeSpan.Zero);
        await SameBytesAsync(new ApplyStarted("demo", "staging", "1.1.0", "abc123", "change", "process", "R1"),
            new { app = "demo", environment = "staging", version = "1.1.0", commit = "abc123", reason = "change", target = "process", request = "R1" });
        await SameBytesAsync(new DeploymentSucceeded("demo", "staging", "1.1.0", null, "http://127.0.0.1:4100", 1.25, "change", "demo 1.1.0 healthy in staging"),
            new { app = "demo", environment = "staging", version = "1.1.0", commit = (string?)null, url = "http://127.0.0.1:4100", took = 1.25, reason = "change", subject = "demo 1.1.0 healthy in staging" });
        await SameBytesAsync(new DeploymentFailed("demo", "prod", "2.0.0", "abc123", "sync", "GET /healthz → 503", "demo 2.0.0 failed in prod"),
            new { app = "demo", environment = "prod", version = "2.0.0", commit = "abc123", reason = "sync", detail = "GET /healthz → 503", subject = "demo 2.0.0 failed in prod" });
        await SameBytesAsync(new RolledBack("demo", "prod", "2.0.0", "abc123", "def456", true, "GET /healthz → 503", "automatic rollback of demo 2.0.0 in prod"),
            new { app = "demo", environment = "prod", version = "2.0.0", reverted = "abc123", revert = "def456", automatic = true, detail = "GET /healthz → 503", subject = "automatic rollback of demo 2.0.0 in prod" });
        await SameBytesAsync(new HealthChanged("demo", "prod", "Degraded", "Healthy", "GET /healthz → 503", "demo in prod: Healthy → Degraded"),
            new { app = "demo", environment = "prod", health = "Degraded", was = "Healthy", detail = "GET /healthz → 503", subject = "demo in prod: Healthy → Degraded" });
        await SameBytesAsync(new DriftDetected("demo", "prod", "1.0.0", 4242, "exited with code 137", false, "drift: demo 1.0.0 (pid 4242) in prod exited with code 137"),
            new { app = "demo", environment = "prod", version = "1.0.0", pid = 4242, what = "exited with code 137", healing = false, subject = "drift: demo 1.0.0 (pid 4242) in prod exited with code 137" });
        await SameBytesAsync(new SlotAdopted("demo", "prod", "1.0.0", 4242, "still running", "demo 1.0.0 in prod adopted after a restart (still running)"),
            new { app = "demo", environment = "prod", version = "1.0.0", pid = 4242, how = "still running", subject = "demo 1.0.0 in prod adopted after a restart (still running)" });
        await SameBytesAsync(new ApplySuperseded("demo", "prod", "1.0.0", "abc123"), new { app = "demo", environment = "prod", version = "1.0.0", commit = "abc123" });
        await SameBytesAsync(new SlotRemoved("demo", "prod", null, "abc123"), new { app = "demo", environment = "prod", version = (string?)null, commit = "abc123" });
        await SameBytesAsync(new DeliveryError("reconcile", Error: "IOException", Detail: "disk full"), new { step = "reconcile", error = "IOException", detail = "disk full" });
        await SameBytesAsync(new DeliveryError("apply", "demo", "prod", "1.0.0", "change", "IOException", "disk full", 2, 2.0),
            new { step = "apply", app = "demo", environment = "prod", version = "1.0.0", reason = "change", error = "IOException", detail = "disk full", attempt = 2, retryIn = 2.0 });
        await SameBytesAsync(new ChangeCommitted("R1", "deploy", "demo", "prod", "1.1.0", "abc123", ["alice"], "deploy demo 1.1.0 to prod"),
            new { request = "R1", action = "deploy", app = "demo", environment = "prod", version = "1.1.0", commit = "abc123", approvers = new[] { "alice" }.Select(a => a), subject = "deploy demo 1.1.0 to prod" });
        await SameBytesAsync(new ApprovalRequested("AB3C", "R1", "deploy", "demo", "prod", "1.1.0", expires, "deploy demo 1.1.0 to prod"),
            new { id = "AB3C", request = "R1", action = "deploy", app = "demo", environment = "prod", version = "1.1.0", expiresAt = expires, subject = "deploy demo 1.1.0 to prod" });
        await SameBytesAsync(new ApprovalDenied("AB3C", "R1", "not now", "deploy demo 1.1.0 to prod"), new { id = "AB3C", request = "R1", reason = "not now", subject = "deploy demo 1.1.0 to prod" });
        await SameBytesAsync(new ApprovalExpired("AB3C", "R1", "deploy demo 1.1.0 to prod"), new { id = "AB3C", request = "R1", subject = "deploy demo 1.1.0 to prod" });
        Assert.True((await Ledger.Ledger.VerifyAsync(_store, default)).Intact);
    }

    [Fact]
    public async Task Incident_and_job_events_are_stored_exactly_as_the_entries_written_before_them()
    {
        IReadOnlyList<string> apps = ["shop"];
        await SameBytesAsync(new IncidentOpened("INC-1", "checkout slow", "sev2", apps, "prod", "alice", "inc-1", "chat", "customers notice"),
            new { incident = "INC-1", title = "checkout slow", severity = "sev2", apps, environment = "prod", commander = "alice", room = "inc-1", source = "chat", meaning = "customers notice" });
        await SameBytesAsync(new IncidentSeverityChanged("INC-1", "sev2", "sev1", null, "up"), new { incident = "INC-1", from = "sev2", to = "sev1", reason = (string?)null, direction = "up" });
        await SameBytesAsync(new IncidentAcknowledged("INC-1", "sev1", 42), new { incident = "INC-1", severity = "sev1", seconds = 42 });
        await SameBytesAsync(new IncidentAcknowledged("INC-1", "sev1", 42, ByResolving: true), new { incident = "INC-1", severity = "sev1", seconds = 42, byResolving = true });
        await SameBytesAsync(new IncidentResolved("INC-1", "rolled back", "sev1", 600), new { incident = "INC-1", summary = "rolled back", severity = "sev1", seconds = 600 });
        await SameBytesAsync(new IncidentReopened("INC-1", "sev1"), new { incident = "INC-1", severity = "sev1" });
        await SameBytesAsync(new JobFinished("J7", "runbook", "failed", "step 2 failed", 1.5), new { job = "J7", kind = "runbook", state = "failed", summary = "step 2 failed", seconds = 1.5 });
        await SameBytesAsync(new JobFinished("J7", "runbook", "interrupted", "Capstan stopped while this job ran"), new { job = "J7", kind = "runbook", state = "interrupted", summary = "Capstan stopped while this job ran" });
        Assert.True((await Ledger.Ledger.VerifyAsync(_store, default)).Intact);
    }

    [Fact]
    public async Task An_entry_of_another_kind_is_not_read_as_an_event()
    {
        var entry = await _ledger.AppendAsync(new DeploymentFailed("demo", "prod", "2.0.0", null, "change", "boom", "demo 2.0.0 failed in prod"), "capstan");
        Assert.True(entry.Is<DeploymentFailed>());
        Assert.False(entry.Is<DeploymentSucceeded>());
        Assert.Null(entry.AsOrNull<DeploymentSucceeded>());
        Assert.Throws<InvalidOperationException>(() => entry.As<DeploymentSucceeded>());
    }
}
