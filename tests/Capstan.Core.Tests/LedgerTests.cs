using Capstan.Core.Ledger;
using Capstan.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Capstan.Core.Tests;

public sealed class LedgerTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "capstan-ledger-" + Guid.NewGuid().ToString("N")[..8]);
    private SqliteDatabase _db = null!;

    public async Task InitializeAsync()
    {
        _db = new SqliteDatabase(Path.Combine(_dir, "capstan.db"));
        await _db.MigrateAsync(default);
        await using var store = new SqliteLedgerStore(_db);
        await using var ledger = await Ledger.Ledger.OpenAsync(store, TimeProvider.System, new Redactor(), default);
        for (var i = 1; i <= 10; i++) await ledger.AppendAsync("test", "bob", "ops", null, new { n = i });
    }

    public Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Shortly_after_a_burst_of_appends_the_database_file_itself_holds_every_entry()
    {
        await using var store = new SqliteLedgerStore(_db);
        await using var ledger = await Ledger.Ledger.OpenAsync(store, TimeProvider.System, new Redactor(), default);
        LedgerEntry last = null!;
        for (var i = 0; i < 300; i++) last = await ledger.AppendAsync("test", "bob", "ops", "t" + i, new { n = i, text = new string('x', 300) });

        // A copy of capstan.db alone (no -wal file beside it, as a careless backup would take) sees only what was
        // checkpointed. The writer never checkpoints; the store's checkpointer does, shortly after appends stop.
        var copy = Path.Combine(_dir, "copy.db");
        long seen = 0;
        for (var attempt = 0; attempt < 50 && seen < last.Seq; attempt++)
        {
            await Task.Delay(200);
            File.Copy(_db.Path, copy, overwrite: true);
            try
            {
                await using var c = new SqliteConnection($"Data Source={copy};Pooling=False");
                await c.OpenAsync();
                await using var cmd = c.CreateCommand();
                cmd.CommandText = "SELECT max(seq) FROM ledger";
                seen = (long)(await cmd.ExecuteScalarAsync())!;
            }
            catch (SqliteException) { /* copied mid-checkpoint: look again */ }
        }
        Assert.Equal(last.Seq, seen);
        Assert.True((await Ledger.Ledger.VerifyAsync(store, default)).Intact);
    }

    private async Task<LedgerVerification> VerifyAsync()
    {
        await using var store = new SqliteLedgerStore(_db);
        return await Ledger.Ledger.VerifyAsync(store, default);
    }

    private async Task ExecAsync(string sql)
    {
        await using var c = await _db.OpenAsync(default);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task An_untouched_chain_verifies()
    {
        var v = await VerifyAsync();
        Assert.True(v.Intact);
        Assert.Equal(10, v.Checked);
    }

    [Fact]
    public async Task An_altered_entry_is_named()
    {
        await ExecAsync("UPDATE ledger SET data = '{\"n\":99}' WHERE seq = 4");
        var v = await VerifyAsync();
        Assert.Equal(4, v.FirstBadSeq);
        Assert.Contains("altered", v.Problem);
    }

    [Fact]
    public async Task A_deleted_entry_is_named()
    {
        await ExecAsync("DELETE FROM ledger WHERE seq = 6");
        var v = await VerifyAsync();
        Assert.Equal(6, v.FirstBadSeq);
        Assert.Contains("missing", v.Problem);
    }

    [Fact]
    public async Task Reordered_entries_are_named()
    {
        await ExecAsync("UPDATE ledger SET seq = -1 WHERE seq = 7; UPDATE ledger SET seq = 7 WHERE seq = 8; UPDATE ledger SET seq = 8 WHERE seq = -1;");
        var v = await VerifyAsync();
        Assert.Equal(7, v.FirstBadSeq);
    }

    [Fact]
    public async Task A_rewritten_entry_with_a_recomputed_hash_still_breaks_the_next_link()
    {
        LedgerEntry third;
        await using (var store = new SqliteLedgerStore(_db))
            third = (await store.QueryAsync(new LedgerQuery(After: 2, Limit: 1), default)).Single();
        var hash = LedgerEntry.ComputeHash(third.PrevHash, 3, third.At, "test", "mallory", "ops", null, "{}");
        await using (var c = await _db.OpenAsync(default))
        {
            await using var write = c.CreateCommand();
            write.CommandText = "UPDATE ledger SET actor = 'mallory', data = '{}', hash = $h WHERE seq = 3";
            write.Parameters.AddWithValue("$h", Convert.FromHexString(hash));
            await write.ExecuteNonQueryAsync();
        }
        var v = await VerifyAsync();
        Assert.Equal(4, v.FirstBadSeq);
    }

    [Fact]
    public async Task Two_processes_appending_to_one_folder_keep_one_chain()
    {
        await using var s1 = new SqliteLedgerStore(_db);
        await using var s2 = new SqliteLedgerStore(_db);
        await using var l1 = await Ledger.Ledger.OpenAsync(s1, TimeProvider.System, new Redactor(), default);
        await using var l2 = await Ledger.Ledger.OpenAsync(s2, TimeProvider.System, new Redactor(), default);
        await Task.WhenAll(Enumerable.Range(0, 100).Select(i => (i % 2 == 0 ? l1 : l2).AppendAsync("test", "x", null, null, new { i })));
        var v = await VerifyAsync();
        Assert.True(v.Intact, v.Problem);
        Assert.Equal(110, v.Checked);
    }

    [Fact]
    public async Task Secrets_are_redacted_before_they_reach_the_ledger()
    {
        var redactor = new Redactor();
        redactor.Add(["hunter2-secret-value"]);
        await using var store = new SqliteLedgerStore(_db);
        await using var ledger = await Ledger.Ledger.OpenAsync(store, TimeProvider.System, redactor, default);
        var e = await ledger.AppendAsync("test", "bob", null, null, new { text = "password is hunter2-secret-value" });
        Assert.Equal("{\"text\":\"password is [redacted]\"}", e.Data);
    }

    [Fact]
    public async Task A_search_finds_every_match_whether_or_not_the_search_keys_reach_it_yet()
    {
        await using var store = new SqliteLedgerStore(_db);
        await using var ledger = await Ledger.Ledger.OpenAsync(store, TimeProvider.System, new Redactor(), default);
        await Task.WhenAll(Enumerable.Range(0, 300).Select(i =>
            ledger.AppendAsync(i % 5 == 0 ? "chat.message" : "command", i % 2 == 0 ? "bob" : "carol", i % 3 == 0 ? "ops" : "dev", "t" + (i % 7), new { i })));
        // The projection has not reached the newest 100 entries (as right after a burst).
        await ExecAsync("DELETE FROM ledger_keys WHERE seq > 210; UPDATE ledger_keys_mark SET seq = min(seq, 210)");

        var all = new List<LedgerEntry>();
        await foreach (var e in store.ReadAllAsync(default)) all.Add(e);
        LedgerQuery[] queries =
        [
            new(Room: "ops", Limit: 1000),
            new(Room: "ops", Limit: 25, Newest: true),
            new(Actor: "carol", Kind: "chat.*", Limit: 1000),
            new(Thread: "t3", After: 150, Limit: 40),
            new(Kind: "command", Room: "dev", Limit: 10_000, Newest: true),
            new(Actor: "bob", Text: "\"i\":2", Limit: 1000),
        ];
        async Task SearchesMatchTheLedgerAsync()
        {
            foreach (var q in queries)
            {
                var matching = all.Where(e => e.Seq > q.After && (q.Room is null || e.Room == q.Room) && (q.Actor is null || e.Actor == q.Actor)
                    && (q.Thread is null || e.Thread == q.Thread) && (q.Text is null || e.Data.Contains(q.Text, StringComparison.Ordinal))
                    && (q.Kind is null || (q.Kind.EndsWith('*') ? e.Kind.StartsWith(q.Kind.TrimEnd('*'), StringComparison.Ordinal) : e.Kind == q.Kind)));
                var expected = (q.Newest ? matching.TakeLast(q.Limit) : matching.Take(q.Limit)).Select(e => e.Seq).ToList();
                var found = (await ledger.QueryAsync(q, default)).Select(e => e.Seq).ToList();
                Assert.True(expected.Count > 0, $"the test's query {q} should match something");
                Assert.Equal(expected, found);
            }
        }
        await SearchesMatchTheLedgerAsync();

        // A later append brings the keys up to date (the projection's interval has passed), and the answers stay the same.
        await Task.Delay(SqliteLedgerStore.ProjectionInterval + TimeSpan.FromMilliseconds(100));
        all.Add(await ledger.AppendAsync("test", "alice", null, null, null));
        await using (var c = await _db.OpenAsync(default))
        await using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT (SELECT seq FROM ledger_keys_mark) = (SELECT max(seq) FROM ledger) AND (SELECT count(DISTINCT seq) FROM ledger_keys) = (SELECT count(*) FROM ledger)";
            Assert.Equal(1L, (long)(await cmd.ExecuteScalarAsync())!);
        }
        await SearchesMatchTheLedgerAsync();
    }

    [Theory]
    [InlineData("ops", "t1", "{\"text\":\"déployer l’app ✓\"}")]
    [InlineData(null, null, "{}")]
    public void An_entry_hash_is_the_sha256_of_its_fields_joined_by_newlines_so_ledgers_written_earlier_still_verify(string? room, string? thread, string data)
    {
        var at = new DateTimeOffset(2026, 12, 2, 1, 2, 3, TimeSpan.Zero).AddTicks(4560);
        var text = string.Join('\n', LedgerEntry.Genesis, "12345", "2026-12-02T01:02:03.0004560Z", "chat.message", "bob", room ?? "", thread ?? "", data);
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
        Assert.Equal(expected, LedgerEntry.ComputeHash(LedgerEntry.Genesis, 12345, at, "chat.message", "bob", room, thread, data));
    }
}
