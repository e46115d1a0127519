using System.Runtime.CompilerServices;
using System.Text;
using Capstan.Core.Storage;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Capstan.Core.Ledger;

/// <summary>The ledger in the embedded SQLite database (WAL, synchronous=FULL: a committed append survives a crash).</summary>
public sealed class SqliteLedgerStore(SqliteDatabase db) : ILedgerStore
{
    private SqliteConnection? _writer;
    private readonly SemaphoreSlim _writeGate = new(1, 1);

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
            _writer ??= await db.OpenAsync(ct);
            await using var tx = _writer.BeginTransaction(deferred: false);
            var tail = await _writer.QueryFirstOrDefaultAsync<(long Seq, string Hash)?>("SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1", transaction: tx);
            var (seq, hash) = tail ?? (0L, LedgerEntry.Genesis);
            var entries = new List<LedgerEntry>(unsealed.Count);
            foreach (var u in unsealed)
            {
                var e = u.Seal(++seq, hash);
                hash = e.Hash;
                entries.Add(e);
            }
            await using var cmd = _writer.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = "INSERT INTO ledger (seq, at, kind, actor, room, thread, data, prev_hash, hash) VALUES ($seq, $at, $kind, $actor, $room, $thread, $data, $prev, $hash)";
            var pSeq = cmd.Parameters.Add("$seq", SqliteType.Integer);
            var pAt = cmd.Parameters.Add("$at", SqliteType.Text);
            var pKind = cmd.Parameters.Add("$kind", SqliteType.Text);
            var pActor = cmd.Parameters.Add("$actor", SqliteType.Text);
            var pRoom = cmd.Parameters.Add("$room", SqliteType.Text);
            var pThread = cmd.Parameters.Add("$thread", SqliteType.Text);
            var pData = cmd.Parameters.Add("$data", SqliteType.Text);
            var pPrev = cmd.Parameters.Add("$prev", SqliteType.Text);
            var pHash = cmd.Parameters.Add("$hash", SqliteType.Text);
            foreach (var e in entries)
            {
                pSeq.Value = e.Seq;
                pAt.Value = e.At.UtcDateTime.ToString("O");
                pKind.Value = e.Kind;
                pActor.Value = e.Actor;
                pRoom.Value = (object?)e.Room ?? DBNull.Value;
                pThread.Value = (object?)e.Thread ?? DBNull.Value;
                pData.Value = e.Data;
                pPrev.Value = e.PrevHash;
                pHash.Value = e.Hash;
                await cmd.ExecuteNonQueryAsync(ct);
            }
            tx.Commit();
            return entries;
        }
        catch
        {
            if (_writer is not null) await _writer.DisposeAsync();
            _writer = null;
            throw;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public async Task<IReadOnlyList<LedgerEntry>> QueryAsync(LedgerQuery q, CancellationToken ct)
    {
        var sql = new StringBuilder("SELECT seq, at, kind, actor, room, thread, data, prev_hash, hash FROM ledger WHERE seq > @After");
        if (q.Actor is not null) sql.Append(" AND actor = @Actor");
        if (q.Room is not null) sql.Append(" AND room = @Room");
        if (q.Kind is not null) sql.Append(q.Kind.EndsWith('*') ? " AND kind LIKE @KindPrefix" : " AND kind = @Kind");
        if (q.Thread is not null) sql.Append(" AND thread = @Thread");
        if (q.Since is not null) sql.Append(" AND at >= @Since");
        if (q.Until is not null) sql.Append(" AND at <= @Until");
        if (q.Text is not null) sql.Append(" AND instr(lower(data), lower(@Text)) > 0");
        sql.Append(q.Newest ? " ORDER BY seq DESC" : " ORDER BY seq ASC").Append(" LIMIT @Limit");
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<Row>(new CommandDefinition(sql.ToString(), new
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
            Limit = Math.Clamp(q.Limit, 1, 10_000),
        }, cancellationToken: ct));
        var list = rows.Select(r => r.ToEntry()).ToList();
        if (q.Newest) list.Reverse();
        return list;
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
        if (_writer is not null) await _writer.DisposeAsync();
    }

    private sealed record Row(long seq, string at, string kind, string actor, string? room, string? thread, string data, string prev_hash, string hash)
    {
        public LedgerEntry ToEntry() => new(seq, DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal),
            kind, actor, room, thread, data, prev_hash, hash);
    }
}
