using System.Runtime.CompilerServices;
using System.Text;
using Capstan.Core.Storage;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Capstan.Core.Ledger;

/// <summary>
/// The ledger in the embedded SQLite database (WAL, synchronous=FULL: a committed append survives a crash).
/// The writer does not checkpoint: copying the WAL into the database file (and syncing that file) happens on a
/// connection of its own shortly after appends, so a commit waits for its own WAL sync only. Only when that connection
/// falls behind (a machine starved of CPU) and the WAL passes <see cref="WalBackstopBytes"/> does the writer copy it
/// once itself, without waiting for readers, so the bound holds however busy the machine is.
/// <para>
/// Appends write the ledger table only. Its search keys (room, actor, kind, thread) are a projection,
/// <c>ledger_keys</c>, copied from the ledger in bulk by a later append's transaction (every
/// <see cref="ProjectionInterval"/> or <see cref="ProjectionBatch"/> entries), so an entry's share of index upkeep is a
/// fraction of one row instead of four index insertions. A search reads the projection for what it holds and the
/// ledger itself for the newest entries it does not hold yet, in one statement (one snapshot): nothing appended is
/// ever missing from a search. The projection is derived from the ledger (each copy starts where it ends), never the other way round.
/// </para>
/// <para>
/// Disk stays bounded (docs/architecture.md): an entry is stored compactly (its hash as 32 bytes, its time as ticks, no
/// previous hash: that is the previous entry's hash), and the WAL is checkpointed while appends go on and truncated
/// once they stop, so a burst does not leave the WAL at its peak size.
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

    /// <summary>
    /// The WAL's bound while appends go on: past it, the checkpointer waits for readers to leave the WAL so the writer
    /// starts it over, and a WAL that grew past it is cut back to it (journal_size_limit). Once appends stop, it is
    /// truncated to nothing.
    /// </summary>
    public const long WalLimitBytes = 16 * 1024 * 1024;

    /// <summary>Past this size the writer checkpoints (PASSIVE) after its commit: the checkpointer has fallen behind.</summary>
    public const long WalBackstopBytes = WalLimitBytes * 3 / 2;

    /// <summary>How long a checkpoint that must wait for readers or the writer waits before it gives up and tries later.</summary>
    private const int CheckpointWaitMs = 250;

    /// <summary>How many entries a whole-ledger read takes per statement, so no read holds one snapshot (and the WAL) for long.</summary>
    private const int ReadPage = 2000;

    /// <summary>An append's transaction also brings the search keys up to date when this long has passed since the last time…</summary>
    public static readonly TimeSpan ProjectionInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>…or when this many entries were appended since.</summary>
    public const int ProjectionBatch = 2048;

    private long _projectedAt;
    private int _unprojected;

    /// <summary>
    /// Copies the search keys of the entries past <c>ledger_keys_mark</c> into <c>ledger_keys</c> (a row per key that has a
    /// value) and moves the mark to the last entry. Keys: 1 room, 2 actor, 3 kind, 4 thread.
    /// </summary>
    internal const string ProjectKeys = """
        INSERT INTO ledger_keys (key, value, seq)
        SELECT 1, room, seq FROM ledger WHERE seq > (SELECT seq FROM ledger_keys_mark) AND room IS NOT NULL
        UNION ALL SELECT 2, actor, seq FROM ledger WHERE seq > (SELECT seq FROM ledger_keys_mark)
        UNION ALL SELECT 3, kind, seq FROM ledger WHERE seq > (SELECT seq FROM ledger_keys_mark)
        UNION ALL SELECT 4, thread, seq FROM ledger WHERE seq > (SELECT seq FROM ledger_keys_mark) AND thread IS NOT NULL;
        UPDATE ledger_keys_mark SET seq = IFNULL((SELECT MAX(seq) FROM ledger), 0);
        """;

    public async Task<(long Seq, string Hash)> TailAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1";
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? (r.GetInt64(0), StoredForm.Hash(r, 1)) : (0, LedgerEntry.Genesis);
    }

    public async Task<IReadOnlyList<LedgerEntry>> AppendAsync(IReadOnlyList<UnsealedEntry> unsealed, CancellationToken ct)
    {
        await _writeGate.WaitAsync(ct);
        try
        {
            if (_writer is null)
            {
                _writer = await db.OpenDurableAsync(ct);
                await _writer.ExecuteAsync($"PRAGMA wal_autocheckpoint=0; PRAGMA journal_size_limit={WalLimitBytes};");
                _checkpoints ??= Task.Run(CheckpointLoopAsync);
            }
            Appending(); // a commit that takes longer than the checkpointer's delay is not an idle writer
            await using var tx = _writer.BeginTransaction(deferred: false);
            // The tail is read inside the transaction: another process on this folder may have appended since our last write.
            var last = _tail ??= Prepare(_writer, "SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1");
            last.Transaction = tx;
            var (seq, hash) = (0L, LedgerEntry.Genesis);
            await using (var r = await last.ExecuteReaderAsync(ct))
                if (await r.ReadAsync(ct)) (seq, hash) = (r.GetInt64(0), StoredForm.Hash(r, 1));
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
            foreach (var e in entries)
            {
                p[0].Value = e.Seq;
                p[1].Value = e.At.UtcTicks;
                p[2].Value = e.Kind;
                p[3].Value = e.Actor;
                p[4].Value = (object?)e.Room ?? DBNull.Value;
                p[5].Value = (object?)e.Thread ?? DBNull.Value;
                p[6].Value = e.Data;
                p[7].Value = Convert.FromHexString(e.Hash);
                await cmd.ExecuteNonQueryAsync(ct);
            }
            _unprojected += entries.Count;
            var projected = false;
            if (_unprojected >= ProjectionBatch || System.Diagnostics.Stopwatch.GetElapsedTime(_projectedAt) >= ProjectionInterval)
            {
                // Entries appended by another process on this folder are picked up too: the copy starts after the projection's end.
                await _writer.ExecuteAsync(ProjectKeys, transaction: tx);
                projected = true;
            }
            tx.Commit();
            if (projected)
            {
                _unprojected = 0;
                _projectedAt = System.Diagnostics.Stopwatch.GetTimestamp();
            }
            // PASSIVE never waits for readers; once it has copied every frame, the next commit starts the WAL over.
            if (WalBytes(db.Path + "-wal") > WalBackstopBytes) await CheckpointAsync(_writer, "PASSIVE");
            Appending();
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

    /// <summary>Tells the checkpointer the writer is at work (at most one signal is kept).</summary>
    private void Appending()
    {
        if (_appended.CurrentCount == 0) { try { _appended.Release(); } catch (SemaphoreFullException) { /* another append signalled first: one signal is enough */ } }
    }

    /// <summary>
    /// Copies the WAL into the database file shortly after appends, on a connection of its own. While a burst goes on,
    /// a PASSIVE checkpoint (never blocks the writer) every <see cref="CheckpointDelay"/>, and a RESTART one whenever the
    /// WAL has grown past <see cref="WalLimitBytes"/> (so the writer starts the WAL over instead of growing it for as long
    /// as the burst lasts: a PASSIVE checkpoint never catches up with a writer that keeps writing). Once a delay passes
    /// with no append, a TRUNCATE checkpoint gives the WAL's space back. A checkpoint that readers or a writer keep
    /// waiting gives up after <see cref="CheckpointWaitMs"/> and is tried again after the next delay.
    /// </summary>
    private async Task CheckpointLoopAsync()
    {
        try
        {
            await using var c = await db.OpenDurableAsync(_closing.Token);
            await c.ExecuteAsync($"PRAGMA busy_timeout={CheckpointWaitMs}; PRAGMA journal_size_limit={WalLimitBytes};");
            var wal = db.Path + "-wal";
            while (!_closing.IsCancellationRequested)
            {
                await _appended.WaitAsync(_closing.Token);
                var done = false;
                while (!done)
                {
                    await Task.Delay(CheckpointDelay, _closing.Token);
                    if (_appended.Wait(0))
                    {
                        await CheckpointAsync(c, "PASSIVE");
                        if (WalBytes(wal) > WalLimitBytes) await CheckpointAsync(c, "RESTART");
                    }
                    else done = await CheckpointAsync(c, "TRUNCATE");
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>Runs one checkpoint; true when it was not kept waiting (every frame copied, and for RESTART and TRUNCATE, the WAL started over).</summary>
    private static async Task<bool> CheckpointAsync(SqliteConnection c, string mode)
    {
        try
        {
            // One row: busy (1 when readers or a writer kept it from finishing), frames in the WAL, frames copied.
            var (busy, _, _) = await c.QuerySingleAsync<(long, long, long)>($"PRAGMA wal_checkpoint({mode});");
            return busy == 0;
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is 5 or 6) // SQLITE_BUSY, SQLITE_LOCKED
        {
            return false; // tried again after the next delay
        }
    }

    private static long WalBytes(string path)
    {
        try { return new FileInfo(path).Length; }
        catch (FileNotFoundException) { return 0; }
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
        cmd.CommandText = "INSERT INTO ledger (seq, at, kind, actor, room, thread, data, hash) VALUES ($seq, $at, $kind, $actor, $room, $thread, $data, $hash)";
        cmd.Parameters.Add("$seq", SqliteType.Integer);
        cmd.Parameters.Add("$at", SqliteType.Integer);
        foreach (var name in new[] { "$kind", "$actor", "$room", "$thread", "$data" }) cmd.Parameters.Add(name, SqliteType.Text);
        cmd.Parameters.Add("$hash", SqliteType.Blob);
        return cmd;
    }

    /// <summary>An entry's columns; its previous hash is the hash of the entry before it (NULL for the first: the genesis hash).</summary>
    private const string Columns = "l.seq, l.at, l.kind, l.actor, l.room, l.thread, l.data, (SELECT p.hash FROM ledger p WHERE p.seq = l.seq - 1), l.hash";

    public async Task<IReadOnlyList<LedgerEntry>> QueryAsync(LedgerQuery q, CancellationToken ct)
    {
        var order = q.Newest ? " ORDER BY seq DESC" : " ORDER BY seq ASC";
        string sql;
        if (q.Actor is null && q.Room is null && q.Kind is null && q.Thread is null)
            sql = $"SELECT {Columns} FROM ledger l WHERE l.seq > @After{EntryFilters(q)}{order} LIMIT @Limit";
        else
        {
            // The projection for the entries it holds (through one key's rows; the other keys are checked on the entry),
            // the ledger for the newest ones it does not hold yet.
            var (key, match) = q.Thread is not null ? (4, "= @Thread")
                : q.Actor is not null ? (2, "= @Actor")
                : q.Room is not null ? (1, "= @Room")
                : (3, q.Kind!.EndsWith('*') ? "LIKE @KindPrefix" : "= @Kind");
            var keyed = $"SELECT {Columns} FROM ledger_keys k JOIN ledger l ON l.seq = k.seq WHERE k.key = {key} AND k.value {match} AND k.seq > @After{KeyFilters(q, "l")}{EntryFilters(q)}{order.Replace("seq", "k.seq")} LIMIT @Limit";
            var newest = $"SELECT {Columns} FROM ledger l WHERE l.seq > @After AND l.seq > (SELECT seq FROM ledger_keys_mark){KeyFilters(q, "l")}{EntryFilters(q)}{order.Replace("seq", "l.seq")} LIMIT @Limit";
            sql = $"SELECT * FROM (SELECT * FROM ({keyed}) UNION ALL SELECT * FROM ({newest})){order} LIMIT @Limit";
        }
        await using var c = await db.OpenAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        void Add(string name, object? value) => cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        Add("@After", q.After);
        Add("@Actor", q.Actor);
        Add("@Room", q.Room);
        Add("@Kind", q.Kind);
        Add("@KindPrefix", q.Kind?.TrimEnd('*') + "%");
        Add("@Thread", q.Thread);
        Add("@Since", q.Since?.UtcTicks);
        Add("@Until", q.Until?.UtcTicks);
        Add("@Text", q.Text);
        Add("@OwnRoom", q.Reader is null ? null : Conversation.RoomDirectory.DirectRoom(q.Reader));
        Add("@Limit", Math.Clamp(q.Limit, 1, 10_000));
        var list = new List<LedgerEntry>();
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct))
                list.Add(StoredForm.Entry(r, r.IsDBNull(7) ? LedgerEntry.Genesis : StoredForm.Hash(r, 7)));
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
        // Page by page, each page its own short read: a walk over a large ledger (verify) never holds one snapshot long
        // enough to keep the checkpointer from copying and restarting the WAL. The ledger only grows, so the pages
        // together are the ledger as it was when each was read, in order.
        var (after, prev) = (0L, LedgerEntry.Genesis);
        await using var c = await db.OpenAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT seq, at, kind, actor, room, thread, data, NULL, hash FROM ledger WHERE seq > $after ORDER BY seq ASC LIMIT {ReadPage}";
        var from = cmd.Parameters.Add("$after", SqliteType.Integer);
        while (true)
        {
            from.Value = after;
            var page = new List<LedgerEntry>(ReadPage);
            await using (var r = await cmd.ExecuteReaderAsync(ct))
                while (await r.ReadAsync(ct))
                {
                    var e = StoredForm.Entry(r, prev);
                    page.Add(e);
                    prev = e.Hash;
                }
            foreach (var e in page) yield return e;
            if (page.Count < ReadPage) yield break;
            after = page[^1].Seq;
        }
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
}

/// <summary>
/// How an entry is kept in SQLite: its time as ticks (UTC) and its hash as its 32 bytes. Ledgers written before the
/// compact layout (time as round-trip text, hash as hex), and values an editor of the file wrote in those forms, are
/// read too, so `ledger verify` checks what is there instead of failing to read it.
/// </summary>
internal static class StoredForm
{
    /// <summary>The entry in columns seq, at, kind, actor, room, thread, data, (previous hash), hash of <paramref name="r"/>.</summary>
    public static LedgerEntry Entry(SqliteDataReader r, string prevHash) =>
        new(r.GetInt64(0), Time(r, 1), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4),
            r.IsDBNull(5) ? null : r.GetString(5), r.GetString(6), prevHash, Hash(r, 8));

    public static string Hash(SqliteDataReader r, int column) => r.GetFieldType(column) == typeof(string)
        ? r.GetString(column)
        : Convert.ToHexStringLower(r.GetFieldValue<byte[]>(column));

    private static DateTimeOffset Time(SqliteDataReader r, int column) => r.GetFieldType(column) == typeof(string)
        ? DateTimeOffset.Parse(r.GetString(column), System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal)
        : new DateTimeOffset(r.GetInt64(column), TimeSpan.Zero);
}
