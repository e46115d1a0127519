using Capstan.Core.Storage;
using Capstan.Delivery.Apps;
using Dapper;

namespace Capstan.Delivery.Targets.Process;

/// <summary>A supervised process as remembered on disk, so a restarted Capstan adopts it instead of starting a second copy.</summary>
internal sealed record ProcessRecord(string App, string Environment, string Version, string SpecHash, string Commit, int Pid, string StartMark, int Port, DateTimeOffset StartedAt, bool Current, bool Parked = false)
{
    public Slot Slot => new(App, Environment);
}

/// <summary>The <c>delivery_processes</c> table: every process the supervisor owns, current or candidate.</summary>
internal sealed class ProcessRecords(IDatabase db)
{
    /// <summary>Creates or upgrades the table (it is one of the delivery module's migrations).</summary>
    public Task EnsureAsync(CancellationToken ct) => db.MigrateAsync(Migrations.DeliveryMigrations.All, ct);

    public async Task<IReadOnlyList<ProcessRecord>> AllAsync(CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<(string app, string env, string version, string spec, string commit, long pid, string mark, long port, string at, long current, long parked)>(
            "SELECT app, env, version, spec_hash, commit_sha, pid, start_mark, port, started_at, is_current, parked FROM delivery_processes");
        return rows.Select(r => new ProcessRecord(r.app, r.env, r.version, r.spec, r.commit, (int)r.pid, r.mark, (int)r.port,
            DateTimeOffset.Parse(r.at, System.Globalization.CultureInfo.InvariantCulture), r.current != 0, r.parked != 0)).ToList();
    }

    public async Task AddAsync(ProcessRecord r, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        await c.ExecuteAsync("""
            INSERT INTO delivery_processes (app, env, version, spec_hash, commit_sha, pid, start_mark, port, started_at, is_current, parked)
            VALUES (@App, @Environment, @Version, @SpecHash, @Commit, @Pid, @StartMark, @Port, @At, @Current, @Parked)
            ON CONFLICT (app, env, pid, start_mark) DO UPDATE SET version = excluded.version, spec_hash = excluded.spec_hash, commit_sha = excluded.commit_sha,
              port = excluded.port, started_at = excluded.started_at, is_current = excluded.is_current, parked = excluded.parked
            """,
            new { r.App, r.Environment, r.Version, r.SpecHash, r.Commit, r.Pid, r.StartMark, r.Port, At = r.StartedAt.ToString("O"), Current = r.Current ? 1 : 0, Parked = r.Parked ? 1 : 0 });
    }

    /// <summary>Makes one process the slot's current one, in one transaction.</summary>
    public async Task PromoteAsync(ProcessRecord r, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        await c.ExecuteAsync("UPDATE delivery_processes SET is_current = 0 WHERE app = @App AND env = @Environment", new { r.App, r.Environment }, tx);
        await c.ExecuteAsync("UPDATE delivery_processes SET is_current = 1 WHERE app = @App AND env = @Environment AND pid = @Pid AND start_mark = @StartMark",
            new { r.App, r.Environment, r.Pid, r.StartMark }, tx);
        await tx.CommitAsync(ct);
    }

    /// <summary>Keeps a slot's current process on record after Capstan stopped it on shutdown, so the next start resumes it.</summary>
    public async Task ParkAsync(ProcessRecord r, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        await c.ExecuteAsync("UPDATE delivery_processes SET parked = 1 WHERE app = @App AND env = @Environment AND pid = @Pid AND start_mark = @StartMark",
            new { r.App, r.Environment, r.Pid, r.StartMark });
    }

    public async Task RemoveAsync(ProcessRecord r, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        await c.ExecuteAsync("DELETE FROM delivery_processes WHERE app = @App AND env = @Environment AND pid = @Pid AND start_mark = @StartMark",
            new { r.App, r.Environment, r.Pid, r.StartMark });
    }
}
