using System.Runtime.CompilerServices;
using System.Text;
using Capstan.Core.Storage;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Capstan.Core.Ledger;

/// <summary>
/// The ledger in the embedded SQLite database (WAL, synchronous=FULL: a committed append survives a crash).
/// The writer never checkpoints: copying the WAL into the database file (and syncing that file) happens on a
/// connection of its own shortly after appends, so a commit waits for its own WAL sync only.
/// <para>
/// Appends write the ledger table only. Its search keys (room, actor, kind, thread) are a projection,
/// <c>ledger_keys</c>, copied from the ledger in bulk by a later append's transaction (every
/// <see cref="ProjectionInterval"/> or <see cref="ProjectionBatch"/> entries), so an entry's share of index upkeep is a
/// fraction of one row instead of four index insertions. A search reads the projection for what it holds and the
/// ledger itself for the newest entries it does not hold yet, in one statement (one snapshot): nothing appended is
/// ever missing from a search. The projection is derived from the ledger (each copy starts where it ends), never the other way round.
/// </para>
/// </summary>
public sealed class SqliteLedgerStore(SqliteDatabase db) : ILedgerStore
{
    private SqliteConnection? _writer;
    private SqliteCommand? _insert;
    private SqliteCommand? _tail;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly SemaphoreSlim _appended = new(0, 1);
    private readonly CancellationTokenSource _closing = new();
    private Task? _checkpoints;

    /// <summary>How long the checkpointer waits after an append, so one checkpoint covers a burst.</summary>
    private static readonly TimeSpan CheckpointDelay = TimeSpan.FromMilliseconds(200);

    /// <summary>An append's transaction also brings the search keys up to date when this long has passed since the last time…</summary>
    public static readonly TimeSpan ProjectionInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>…or when this many entries were appended since.</summary>
    public const int ProjectionBatch = 2048;

    private long _projectedAt;
    private int _unprojected;

    private const string Project = """
        INSERT INTO ledger_keys (seq, room, actor, kind, thread)
        SELECT seq, room, actor, kind, thread FROM ledger WHERE seq > (SELECT IFNULL(MAX(seq), 0) FROM ledger_keys)
        """;

    public async Task<(long Seq, string Hash)> TailAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var row = await c.QueryFirstOrDefaultAsync<(long Seq, string Hash)?>("SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1");
        return row ?? (0, LedgerEntry.Genesis);
    }

    public async Task<IReadOnlyList<LedgerEntry>> AppendAsync(IReadOnlyList<UnsealedEntry> unsealed, CancellationToken ct)
    {
        await _writeGate.WaitAsync(ct);
        try
        {
            if (_writer is null)
            {
                _writer = await db.OpenDurableAsync(ct);
                await _writer.ExecuteAsync("PRAGMA wal_autocheckpoint=0;");
                _checkpoints ??= Task.Run(CheckpointLoopAsync);
            }
            await using var tx = _writer.BeginTransaction(deferred: false);
            // The tail is read inside the transaction: another process on this folder may have appended since our last write.
            var last = _tail ??= Prepare(_writer, "SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1");
            last.Transaction = tx;
            var (seq, hash) = (0L, LedgerEntry.Genesis);
            await using (var r = await last.ExecuteReaderAsync(ct))
                if (await r.ReadAsync(ct)) (seq, hash) = (r.GetInt64(0), r.GetString(1));
            var entries = new List<LedgerEntry>(unsealed.Count);
            foreach (var u in unsealed)
            {
                var e = u.Seal(++seq, hash);
                hash = e.Hash;
                entries.Add(e);
            }
            var cmd = _insert ??= PrepareInsert(_writer);
            cmd.Transaction = tx;
            var p = cmd.Parameters;
            (DateTimeOffset At, string Text) time = default;
            foreach (var e in entries)
            {
                if (time.Text is null || time.At != e.At) time = (e.At, e.At.UtcDateTime.ToString("O")); // a batch shares one time
                p[0].Value = e.Seq;
                p[1].Value = time.Text;
                p[2].Value = e.Kind;
                p[3].Value = e.Actor;
                p[4].Value = (object?)e.Room ?? DBNull.Value;
                p[5].Value = (object?)e.Thread ?? DBNull.Value;
                p[6].Value = e.Data;
                p[7].Value = e.PrevHash;
                p[8].Value = e.Hash;
                await cmd.ExecuteNonQueryAsync(ct);
            }
            _unprojected += entries.Count;
            var projected = false;
            if (_unprojected >= ProjectionBatch || System.Diagnostics.Stopwatch.GetElapsedTime(_projectedAt) >= ProjectionInterval)
            {
                // Entries appended by another process on this folder are picked up too: the copy starts after the projection's end.
                await _writer.ExecuteAsync(Project, transaction: tx);
                projected = true;
            }
            tx.Commit();
            if (projected)
            {
                _unprojected = 0;
                _projectedAt = System.Diagnostics.Stopwatch.GetTimestamp();
            }
            if (_appended.CurrentCount == 0) { try { _appended.Release(); } catch (SemaphoreFullException) { } }
            return entries;
        }
        catch
        {
            DisposeStatements();
            await CloseWriterAsync();
            throw;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private async Task CheckpointLoopAsync()
    {
        try
        {
            await using var c = await db.OpenDurableAsync(_closing.Token);
            while (!_closing.IsCancellationRequested)
            {
                await _appended.WaitAsync(_closing.Token);
                await Task.Delay(CheckpointDelay, _closing.Token);
                // PASSIVE: copies what no reader still needs and never blocks the writer.
                try { await c.ExecuteAsync("PRAGMA wal_checkpoint(PASSIVE);"); }
                catch (SqliteException) { /* busy or interrupted: the next append asks again */ }
            }
        }
        catch (OperationCanceledException) { }
    }

    private static SqliteCommand Prepare(SqliteConnection c, string sql)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return cmd;
    }

    private static SqliteCommand PrepareInsert(SqliteConnection c)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = "INSERT INTO ledger (seq, at, kind, actor, room, thread, data, prev_hash, hash) VALUES ($seq, $at, $kind, $actor, $room, $thread, $data, $prev, $hash)";
        cmd.Parameters.Add("$seq", SqliteType.Integer);
        foreach (var name in new[] { "$at", "$kind", "$actor", "$room", "$thread", "$data", "$prev", "$hash" }) cmd.Parameters.Add(name, SqliteType.Text);
        return cmd;
    }

    public async Task<IReadOnlyList<LedgerEntry>> QueryAsync(LedgerQuery q, CancellationToken ct)
    {
        const string Columns = "l.seq, l.at, l.kind, l.actor, l.room, l.thread, l.data, l.prev_hash, l.hash";
        var order = q.Newest ? " ORDER BY seq DESC" : " ORDER BY seq ASC";
        string sql;
        if (q.Actor is null && q.Room is null && q.Kind is null && q.Thread is null)
            sql = $"SELECT {Columns} FROM ledger l WHERE l.seq > @After{EntryFilters(q)}{order} LIMIT @Limit";
        else
        {
            // The projection for the entries it holds (through its indexes), the ledger for the newest ones it does not hold yet.
            const string Projected = "(SELECT IFNULL(MAX(seq), 0) FROM ledger_keys)";
            var keyed = $"SELECT {Columns} FROM ledger_keys k JOIN ledger l ON l.seq = k.seq WHERE k.seq > @After{KeyFilters(q, "k")}{EntryFilters(q)}{order.Replace("seq", "k.seq")} LIMIT @Limit";
            var newest = $"SELECT {Columns} FROM ledger l WHERE l.seq > @After AND l.seq > {Projected}{KeyFilters(q, "l")}{EntryFilters(q)}{order.Replace("seq", "l.seq")} LIMIT @Limit";
            sql = $"SELECT * FROM (SELECT * FROM ({keyed}) UNION ALL SELECT * FROM ({newest})){order} LIMIT @Limit";
        }
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<Row>(new CommandDefinition(sql, new
        {
            q.After,
            q.Actor,
            q.Room,
            q.Kind,
            KindPrefix = q.Kind?.TrimEnd('*') + "%",
            q.Thread,
            Since = q.Since?.UtcDateTime.ToString("O"),
            Until = q.Until?.UtcDateTime.ToString("O"),
            q.Text,
            OwnRoom = q.Reader is null ? null : Conversation.RoomDirectory.DirectRoom(q.Reader),
            Limit = Math.Clamp(q.Limit, 1, 10_000),
        }, cancellationToken: ct));
        var list = rows.Select(r => r.ToEntry()).ToList();
        if (q.Newest) list.Reverse();
        return list;
    }

    /// <summary>The query's conditions on the search keys (room, actor, kind, thread) of the table aliased <paramref name="t"/>.</summary>
    private static string KeyFilters(LedgerQuery q, string t)
    {
        var sql = new StringBuilder();
        if (q.Actor is not null) sql.Append($" AND {t}.actor = @Actor");
        if (q.Room is not null) sql.Append($" AND {t}.room = @Room");
        if (q.Kind is not null) sql.Append(q.Kind.EndsWith('*') ? $" AND {t}.kind LIKE @KindPrefix" : $" AND {t}.kind = @Kind");
        if (q.Thread is not null) sql.Append($" AND {t}.thread = @Thread");
        return sql.ToString();
    }

    /// <summary>The query's conditions on an entry's own columns (time, text), which only the ledger table has.</summary>
    private static string EntryFilters(LedgerQuery q)
    {
        var sql = new StringBuilder();
        if (q.Since is not null) sql.Append(" AND l.at >= @Since");
        if (q.Until is not null) sql.Append(" AND l.at <= @Until");
        if (q.Text is not null) sql.Append(" AND instr(lower(l.data), lower(@Text)) > 0");
        const string Direct = Conversation.RoomDirectory.DirectPrefix;
        if (q.Reader is not null) sql.Append($" AND (l.room IS NULL OR substr(l.room, 1, {Direct.Length}) <> '{Direct}' OR l.room = @OwnRoom)");
        return sql.ToString();
    }

    public async IAsyncEnumerable<LedgerEntry> ReadAllAsync([EnumeratorCancellation] CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT seq, at, kind, actor, room, thread, data, prev_hash, hash FROM ledger ORDER BY seq ASC";
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            yield return new Row(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3),
                r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5), r.GetString(6), r.GetString(7), r.GetString(8)).ToEntry();
    }

    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync();
        if (_checkpoints is not null) await _checkpoints;
        DisposeStatements();
        await CloseWriterAsync();
    }

    private void DisposeStatements()
    {
        _insert?.Dispose();
        _insert = null;
        _tail?.Dispose();
        _tail = null;
    }

    /// <summary>
    /// Gives the writer back with automatic checkpoints on again: connections are pooled, and the next user of this
    /// one (jobs, delivery records …) has no checkpointer of its own.
    /// </summary>
    private async Task CloseWriterAsync()
    {
        if (_writer is null) return;
        try { await _writer.ExecuteAsync("PRAGMA wal_autocheckpoint=1000;"); }
        catch (SqliteException) { /* a broken connection is not reused by the pool's next open in a state that matters */ }
        await _writer.DisposeAsync();
        _writer = null;
    }

    private sealed record Row(long seq, string at, string kind, string actor, string? room, string? thread, string data, string prev_hash, string hash)
    {
        public LedgerEntry ToEntry() => new(seq, DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal),
            kind, actor, room, thread, data, prev_hash, hash);
    }
}
