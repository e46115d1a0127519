using Capstan.Core.Commands;
using Capstan.Core.Ledger;
using Capstan.Core.Storage;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Capstan.Core.Tests;

/// <summary>The ledger's disk stays bounded: a compact layout, a WAL that is given back, old data folders migrated.</summary>
public sealed class LedgerDiskTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "capstan-disk-" + Guid.NewGuid().ToString("N")[..8]);
    private string DbPath => Path.Combine(_dir, "capstan.db");
    private string WalPath => DbPath + "-wal";

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, true);
        return Task.CompletedTask;
    }

    private static long SizeOf(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

    /// <summary>Polls (no fixed sleep) until <paramref name="done"/> holds or the deadline passes; returns whether it held.</summary>
    private static async Task<bool> EventuallyAsync(Func<bool> done, TimeSpan deadline)
    {
        var until = DateTime.UtcNow + deadline;
        while (!done())
        {
            if (DateTime.UtcNow > until) return false;
            await Task.Delay(50);
        }
        return true;
    }

    /// <summary>The largest size the WAL file had while <paramref name="work"/> ran (sampled every few milliseconds).</summary>
    private async Task<long> PeakWalDuringAsync(Func<Task> work)
    {
        long peak = 0;
        using var stop = new CancellationTokenSource();
        var watch = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                peak = Math.Max(peak, SizeOf(WalPath));
                await Task.Delay(5);
            }
        });
        await work();
        await stop.CancelAsync();
        await watch;
        return Math.Max(peak, SizeOf(WalPath));
    }

    [Fact]
    public async Task Once_a_burst_of_appends_stops_the_wal_file_is_given_back()
    {
        var db = new SqliteDatabase(DbPath);
        await db.MigrateAsync(default);
        await using var store = new SqliteLedgerStore(db);
        await using var ledger = await Ledger.Ledger.OpenAsync(store, TimeProvider.System, new Redactor(), default);
        var text = new string('x', 1000);
        var peak = await PeakWalDuringAsync(() => Task.WhenAll(Enumerable.Range(0, 3000).Select(i => ledger.AppendAsync("chat.message", "bob", "ops", "t" + i, new { i, text }))));
        Assert.True(peak > 1024 * 1024, $"the burst should have filled the WAL (it held at most {peak} bytes)");

        Assert.True(await EventuallyAsync(() => SizeOf(WalPath) == 0, TimeSpan.FromSeconds(30)),
            $"the WAL still holds {SizeOf(WalPath)} bytes after the appends stopped (peak {peak})");
        Assert.True((await Ledger.Ledger.VerifyAsync(store, default)).Intact);
        Assert.Equal(3000, (await store.TailAsync(default)).Seq);
    }

    [Fact]
    public async Task A_walk_over_the_ledger_left_half_way_does_not_keep_the_wal_from_being_given_back()
    {
        var db = new SqliteDatabase(DbPath);
        await db.MigrateAsync(default);
        await using var store = new SqliteLedgerStore(db);
        await using var ledger = await Ledger.Ledger.OpenAsync(store, TimeProvider.System, new Redactor(), default);
        await Task.WhenAll(Enumerable.Range(0, 500).Select(i => ledger.AppendAsync("test", "bob", "ops", null, new { i })));

        // A reader (verify, a projection) that has started a walk and is busy with what it read so far.
        await using var walk = store.ReadAllAsync(default).GetAsyncEnumerator();
        Assert.True(await walk.MoveNextAsync());

        var text = new string('x', 1000);
        await Task.WhenAll(Enumerable.Range(0, 3000).Select(i => ledger.AppendAsync("chat.message", "bob", "ops", "t" + i, new { i, text })));
        Assert.True(await EventuallyAsync(() => SizeOf(WalPath) == 0, TimeSpan.FromSeconds(30)),
            $"the WAL still holds {SizeOf(WalPath)} bytes after the appends stopped, while a walk over the ledger is half-way");

        var walked = 1;
        while (await walk.MoveNextAsync()) walked++;
        Assert.True(walked >= 500);
    }

    [Fact]
    public async Task While_appends_go_on_without_a_pause_the_wal_stays_bounded()
    {
        var db = new SqliteDatabase(DbPath);
        await db.MigrateAsync(default);
        await using var store = new SqliteLedgerStore(db);
        await using var ledger = await Ledger.Ledger.OpenAsync(store, TimeProvider.System, new Redactor(), default);
        var text = new string('y', 8000);
        // About 80 MB of entries from 8 writers that never pause: five times the WAL's bound.
        var written = 0;
        var peak = await PeakWalDuringAsync(() => Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 1250; i++)
            {
                await ledger.AppendAsync("test", "bob", "ops", null, new { w, i, text });
                Interlocked.Increment(ref written);
            }
        }))));
        Assert.Equal(10_000, written);
        Assert.True(peak <= 2 * SqliteLedgerStore.WalLimitBytes,
            $"the WAL reached {peak / 1048576.0:0.0} MB while 80 MB were appended; its bound is {SqliteLedgerStore.WalLimitBytes / 1048576} MB");
        Assert.True((await Ledger.Ledger.VerifyAsync(store, default)).Intact);
    }

    [Fact]
    public async Task An_answered_chat_command_takes_less_than_1_5_KB_of_disk()
    {
        await using var t = await TestNode.StartAsync(root: Path.Combine(_dir, "data"));
        var db = Path.Combine(t.Root, "capstan.db");
        Assert.Equal(CommandOutcome.Succeeded, (await t.SayAsync("bob", "whoami")).Outcome);
        Assert.True(await EventuallyAsync(() => SizeOf(db + "-wal") == 0, TimeSpan.FromSeconds(30)), "the WAL was not given back after the first command");
        var before = SizeOf(db);

        const int Commands = 4000;
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            var ok = 0;
            for (var i = 0; i < Commands / 16; i++)
                if ((await t.SayAsync("bob", "whoami")).Outcome == CommandOutcome.Succeeded) ok++;
            return ok;
        })));
        Assert.Equal(Commands, outcomes.Sum());

        Assert.True(await EventuallyAsync(() => SizeOf(db + "-wal") == 0, TimeSpan.FromSeconds(30)),
            $"the WAL still holds {SizeOf(db + "-wal")} bytes after the commands stopped");
        var perCommand = (SizeOf(db) + SizeOf(db + "-wal") - before) / (double)Commands;
        Assert.True(perCommand <= 1536, $"each answered command took {perCommand:0} bytes of disk (database and WAL)");
    }

    /// <summary>A database as the version before the compact layout wrote it: migrations 1–4, hex hashes, text times.</summary>
    private async Task<List<LedgerEntry>> WriteOldLayoutAsync(int count)
    {
        await using var c = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        await c.OpenAsync();
        await c.ExecuteAsync("PRAGMA journal_mode=WAL; CREATE TABLE schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
        foreach (var m in CoreMigrations.Sqlite.Where(m => m.Id <= 4))
        {
            await c.ExecuteAsync(m.Sql);
            await c.ExecuteAsync("INSERT INTO schema_migrations (id, name, applied_at) VALUES (@Id, @Name, '2026-12-01T00:00:00.0000000Z')", new { m.Id, m.Name });
        }
        var entries = new List<LedgerEntry>();
        var prev = LedgerEntry.Genesis;
        var start = new DateTimeOffset(2026, 12, 1, 9, 30, 0, TimeSpan.Zero).AddTicks(1234567);
        for (var seq = 1; seq <= count; seq++)
        {
            var u = new UnsealedEntry(start.AddTicks(seq * 10_000_001L), seq % 4 == 0 ? "chat.reply" : "chat.message", seq % 2 == 0 ? "capstan" : "bob",
                seq % 5 == 0 ? null : "ops", seq % 3 == 0 ? null : "m" + seq / 4, $"{{\"text\":\"entry {seq} ✓\",\"via\":null}}");
            var e = u.Seal(seq, prev);
            prev = e.Hash;
            entries.Add(e);
            await c.ExecuteAsync("INSERT INTO ledger (seq, at, kind, actor, room, thread, data, prev_hash, hash) VALUES (@Seq, @At, @Kind, @Actor, @Room, @Thread, @Data, @PrevHash, @Hash)",
                new { e.Seq, At = e.At.UtcDateTime.ToString("O"), e.Kind, e.Actor, e.Room, e.Thread, e.Data, e.PrevHash, e.Hash });
        }
        // As the old store left it: the search keys reach part of the ledger.
        await c.ExecuteAsync("INSERT INTO ledger_keys (seq, room, actor, kind, thread) SELECT seq, room, actor, kind, thread FROM ledger WHERE seq <= @Half", new { Half = count / 2 });
        return entries;
    }

    [Fact]
    public async Task A_data_folder_written_before_the_compact_layout_opens_verifies_and_keeps_every_entry()
    {
        var old = await WriteOldLayoutAsync(200);
        var db = new SqliteDatabase(DbPath);
        await db.MigrateAsync(default);
        await using (var c = await db.OpenAsync(default))
        {
            // Rewritten in the compact layout, not only readable as it was.
            Assert.Equal(["integer", "blob"], (await c.QueryAsync<(string, string)>("SELECT DISTINCT typeof(at), typeof(hash) FROM ledger")).Select(t => new[] { t.Item1, t.Item2 }).Single());
            Assert.DoesNotContain("prev_hash", await c.QueryAsync<string>("SELECT name FROM pragma_table_info('ledger')"));
        }

        await using var store = new SqliteLedgerStore(db);
        var v = await Ledger.Ledger.VerifyAsync(store, default);
        Assert.True(v.Intact, v.Problem);
        Assert.Equal(200, v.Checked);
        var read = new List<LedgerEntry>();
        await foreach (var e in store.ReadAllAsync(default)) read.Add(e);
        Assert.Equal(old, read);
        Assert.Equal(old.Where(e => e.Room == "ops" && e.Actor == "bob").TakeLast(30),
            await store.QueryAsync(new LedgerQuery(Room: "ops", Actor: "bob", Limit: 30, Newest: true), default));
        Assert.Equal(old.Where(e => e.Thread == "m7"), await store.QueryAsync(new LedgerQuery(Thread: "m7"), default));
        Assert.Equal((200L, old[^1].Hash), await store.TailAsync(default));

        // New entries chain on to the migrated ones.
        await using (var ledger = await Ledger.Ledger.OpenAsync(store, TimeProvider.System, new Redactor(), default))
            Assert.Equal(old[^1].Hash, (await ledger.AppendAsync("test", "bob", "ops", null, new { n = 1 })).PrevHash);
        Assert.True((await Ledger.Ledger.VerifyAsync(store, default)).Intact);
    }

    [Fact]
    public async Task An_entry_tampered_with_before_the_migration_is_still_named_after_it()
    {
        await WriteOldLayoutAsync(50);
        await using (var c = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            await c.OpenAsync();
            await c.ExecuteAsync("UPDATE ledger SET data = '{\"text\":\"never said\"}' WHERE seq = 17");
        }
        var db = new SqliteDatabase(DbPath);
        await db.MigrateAsync(default);
        await using var store = new SqliteLedgerStore(db);
        var v = await Ledger.Ledger.VerifyAsync(store, default);
        Assert.Equal(17, v.FirstBadSeq);
        Assert.Contains("altered", v.Problem);
    }

    [Fact]
    public async Task An_entry_altered_in_the_compact_layout_is_named()
    {
        var db = new SqliteDatabase(DbPath);
        await db.MigrateAsync(default);
        await using var store = new SqliteLedgerStore(db);
        await using (var ledger = await Ledger.Ledger.OpenAsync(store, TimeProvider.System, new Redactor(), default))
            for (var i = 0; i < 20; i++) await ledger.AppendAsync("chat.message", "bob", "ops", "t", new { i });
        await using (var c = await db.OpenAsync(default))
            await c.ExecuteAsync("UPDATE ledger SET at = at + 1 WHERE seq = 12");
        var v = await Ledger.Ledger.VerifyAsync(store, default);
        Assert.Equal(12, v.FirstBadSeq);
        Assert.Contains("altered", v.Problem);
    }
}
