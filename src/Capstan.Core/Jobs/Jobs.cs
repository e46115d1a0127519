using System.Text.Json;
using Capstan.Core.Commands;
using Capstan.Core.Storage;
using Dapper;

namespace Capstan.Core.Jobs;

/// <summary>The durable store of jobs in the data folder's database, and the read model for chat and the web.</summary>
public sealed class Jobs(IDatabase db, TimeProvider clock)
{
    /// <summary>Lines of output kept per job; beyond this the job notes that output was cut.</summary>
    public const int MaxOutputLines = 100_000;

    private const string Columns = "id AS Number, kind, title, actor, room, thread, progress_message AS ProgressMessage, state, percent, status, summary, resume, timeout_ms AS TimeoutMs, created_at AS CreatedAt, ended_at AS EndedAt";

    internal async Task<JobRecord> CreateAsync(JobRequest request, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        var now = clock.GetUtcNow();
        var id = await c.ExecuteScalarAsync<long>(
            "INSERT INTO jobs (kind, title, actor, room, thread, state, status, resume, timeout_ms, created_at) VALUES (@Kind, @Title, @Actor, @Room, @Thread, 'Running', '', @Resume, @Timeout, @At) RETURNING id",
            new { request.Kind, request.Title, request.Actor, request.Room, request.Thread, request.Resume, Timeout = (long)request.Timeout.TotalMilliseconds, At = now.ToString("O") });
        return new JobRecord(id, request.Kind, request.Title, request.Actor, request.Room, request.Thread, null, JobState.Running, null, "", null, request.Resume, request.Timeout, now, null);
    }

    /// <summary>A job with its output from line <paramref name="fromLine"/> on (0: all of it); null when no job has that id.</summary>
    public async Task<JobView?> GetAsync(string id, CancellationToken ct, long fromLine = 0)
    {
        if (!JobId.TryParse(id, out var number)) return null;
        await using var c = await db.OpenConnectionAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<Row>($"SELECT {Columns}, result FROM jobs WHERE id = @number", new { number });
        if (row is null) return null;
        fromLine = Math.Max(0, fromLine);
        var lines = (await c.QueryAsync<string>("SELECT line FROM job_output WHERE job = @number AND seq >= @fromLine ORDER BY seq", new { number, fromLine })).ToList();
        var stored = row.Result is null ? null : JsonSerializer.Deserialize<StoredResult>(row.Result);
        var tables = stored?.Tables?.Select(t => new JobTable(t.Name, new Table(t.Columns, t.Rows.Select(r => (IReadOnlyList<string>)r).ToList()))).ToList() ?? [];
        // A page asking for new lines when there are none is told how many there are.
        var from = lines.Count > 0 || fromLine == 0 ? fromLine : await c.ExecuteScalarAsync<long>("SELECT count(*) FROM job_output WHERE job = @number", new { number });
        return new JobView(row.ToRecord(), lines, stored?.ToTable(), tables, from);
    }

    /// <summary>Running jobs first, then the most recent finished ones.</summary>
    public async Task<IReadOnlyList<JobRecord>> ListAsync(int recent, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<Row>($"SELECT {Columns} FROM jobs ORDER BY CASE state WHEN 'Running' THEN 0 ELSE 1 END, id DESC LIMIT @recent", new { recent });
        return rows.Select(r => r.ToRecord()).ToList();
    }

    internal async Task<IReadOnlyList<JobRecord>> RunningAsync(CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        return (await c.QueryAsync<Row>($"SELECT {Columns} FROM jobs WHERE state = 'Running' ORDER BY id")).Select(r => r.ToRecord()).ToList();
    }

    internal async Task<IReadOnlyList<JobRecord>> ResumableAsync(string kind, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        return (await c.QueryAsync<Row>($"SELECT {Columns} FROM jobs WHERE state = 'Interrupted' AND kind = @kind AND resume IS NOT NULL ORDER BY id", new { kind }))
            .Select(r => r.ToRecord()).ToList();
    }

    /// <summary>Puts an interrupted job back to running; false when someone else already did.</summary>
    internal async Task<bool> ReopenAsync(long number, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        return await c.ExecuteAsync("UPDATE jobs SET state = 'Running', summary = NULL, ended_at = NULL WHERE id = @number AND state = 'Interrupted'", new { number }) == 1;
    }

    /// <summary>How many output lines a job has kept (a resumed job appends after them).</summary>
    internal async Task<long> OutputCountAsync(long number, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        return await c.ExecuteScalarAsync<long>("SELECT count(*) FROM job_output WHERE job = @number", new { number });
    }

    internal async Task SetMessageAsync(long number, string messageId, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        await c.ExecuteAsync("UPDATE jobs SET progress_message = @messageId WHERE id = @number", new { number, messageId });
    }

    /// <summary>Saves progress and appends output lines in one transaction.</summary>
    internal async Task SaveProgressAsync(long number, double? percent, string status, string? resume, IReadOnlyList<string> lines, long firstSeq, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        await c.ExecuteAsync("UPDATE jobs SET percent = @percent, status = @status, resume = COALESCE(@resume, resume) WHERE id = @number", new { number, percent, status, resume }, tx);
        for (var i = 0; i < lines.Count; i++)
            await c.ExecuteAsync("INSERT INTO job_output (job, seq, line) VALUES (@number, @seq, @line)", new { number, seq = firstSeq + i, line = lines[i] }, tx);
        await tx.CommitAsync(ct);
    }

    internal async Task FinishAsync(long number, JobState state, string summary, Table? table, IReadOnlyList<JobTable>? tables, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        var result = table is null && tables is not { Count: > 0 } ? null : JsonSerializer.Serialize(new StoredResult(
            table?.Columns.ToList(), table?.Rows.Select(r => r.ToList()).ToList(),
            tables is { Count: > 0 } ? tables.Select(t => new StoredTable(t.Name, t.Table.Columns.ToList(), t.Table.Rows.Select(r => r.ToList()).ToList())).ToList() : null));
        await c.ExecuteAsync("UPDATE jobs SET state = @state, summary = @summary, result = @result, ended_at = @at WHERE id = @number AND state = 'Running'",
            new { number, state = state.ToString(), summary, result, at = clock.GetUtcNow().ToString("O") });
    }

    /// <summary>The result column: the final table (Columns, Rows, as earlier versions stored it) and any named tables.</summary>
    private sealed record StoredResult(List<string>? Columns, List<List<string>>? Rows, List<StoredTable>? Tables)
    {
        public Table? ToTable() => Columns is null || Rows is null ? null : new(Columns, Rows.Select(r => (IReadOnlyList<string>)r).ToList());
    }

    private sealed record StoredTable(string Name, List<string> Columns, List<List<string>> Rows);

    /// <summary>A row as Dapper reads it (settable properties, because SQLite's NULL has no column type).</summary>
    private sealed class Row
    {
        public long Number { get; set; }
        public string Kind { get; set; } = "";
        public string Title { get; set; } = "";
        public string Actor { get; set; } = "";
        public string Room { get; set; } = "";
        public string Thread { get; set; } = "";
        public string? ProgressMessage { get; set; }
        public string State { get; set; } = "";
        public double? Percent { get; set; }
        public string Status { get; set; } = "";
        public string? Summary { get; set; }
        public string? Resume { get; set; }
        public long TimeoutMs { get; set; }
        public string CreatedAt { get; set; } = "";
        public string? EndedAt { get; set; }
        public string? Result { get; set; }

        public JobRecord ToRecord() => new(Number, Kind, Title, Actor, Room, Thread, ProgressMessage, Enum.Parse<JobState>(State), Percent, Status, Summary, Resume,
            TimeSpan.FromMilliseconds(TimeoutMs), DateTimeOffset.Parse(CreatedAt, System.Globalization.CultureInfo.InvariantCulture),
            EndedAt is null ? null : DateTimeOffset.Parse(EndedAt, System.Globalization.CultureInfo.InvariantCulture));
    }
}
