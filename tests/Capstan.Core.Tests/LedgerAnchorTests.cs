using Microsoft.Extensions.Time.Testing;
using Capstan.Core.Ledger;
using Capstan.Core.Ledger.Anchors;
using Capstan.Core.Storage;
using LibGit2Sharp;
using Microsoft.Data.Sqlite;

namespace Capstan.Core.Tests;

/// <summary>
/// The ledger anchored outside its database: someone who can edit capstan.db (delete the newest entries, or change an
/// entry and recompute the whole SHA-256 chain) leaves a hash chain that verifies, but not one that matches the
/// signed anchors in the config repo.
/// </summary>
public sealed class LedgerAnchorTests : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "capstan-anchor-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 3, 14, 9, 0, 0, TimeSpan.Zero));
    private DataFolder Data => DataFolder.At(_root);
    private AnchorHistory History => new(Data.ConfigRepo);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_root, true); } catch (IOException) { }
        return Task.CompletedTask;
    }

    /// <summary>A server's life: opens the folder, records <paramref name="entries"/> entries, stops (which anchors).</summary>
    private async Task RunAsync(int entries, Func<CapstanNode, Task>? meanwhile = null)
    {
        await using var node = await CapstanNode.OpenAsync(Data, [], _clock, CancellationToken.None);
        for (var i = 1; i <= entries; i++) await node.Ledger.AppendAsync("test", "bob", "ops", null, new { n = i });
        if (meanwhile is not null) await meanwhile(node);
    }

    private async Task<LedgerAuditReport> AuditAsync()
    {
        SqliteConnection.ClearAllPools();
        await using var store = new SqliteLedgerStore(new SqliteDatabase(Data.Database));
        using var key = LedgerSigningKey.TryLoad(Data);
        return await LedgerAudit.RunAsync(store, History.ReadAll(), key?.PublicKey, key is null ? null : "the key in " + key.Source, _clock, CancellationToken.None);
    }

    private async Task<bool> ChainAloneIsIntactAsync()
    {
        await using var store = new SqliteLedgerStore(new SqliteDatabase(Data.Database));
        return (await Ledger.Ledger.VerifyAsync(store, CancellationToken.None)).Intact;
    }

    private async Task ExecAsync(string sql)
    {
        await using var c = new SqliteConnection($"Data Source={Data.Database};Pooling=False");
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task An_untouched_anchored_ledger_is_intact_with_its_anchor_named()
    {
        await RunAsync(10);
        var report = await AuditAsync();
        Assert.True(report.Intact, string.Join("\n", report.Problems));
        Assert.Equal(10, report.Checked);
        Assert.Equal(10, report.Anchored!.Seq);
        Assert.Contains("Ledger intact: 10 entries checked; entry 10 was anchored at 2026-03-14 09:00:00 UTC", report.Summary);
    }

    [Fact]
    public async Task Deleting_the_newest_entries_after_an_anchor_is_named_as_truncation()
    {
        await RunAsync(10);
        await ExecAsync("DELETE FROM ledger WHERE seq > 7; DELETE FROM ledger_keys WHERE seq > 7;");
        Assert.True(await ChainAloneIsIntactAsync()); // what `ledger verify` used to rely on alone

        var report = await AuditAsync();
        Assert.False(report.Intact);
        Assert.Contains("Entries 8–10 were anchored at 2026-03-14 09:00:00 UTC but are missing: the ledger was cut short after they were written.", report.Problems);
    }

    [Fact]
    public async Task Starting_on_a_database_cut_short_logs_that_it_no_longer_matches_its_anchor()
    {
        await RunAsync(6);
        await ExecAsync("DELETE FROM ledger WHERE seq > 4; DELETE FROM ledger_keys WHERE seq > 4;");
        var logs = new RecordedLogs();
        await using (await CapstanNode.OpenAsync(Data, [], _clock, CancellationToken.None, logs)) { }
        Assert.Contains("The ledger does not match its newest anchor (entry 6, 2026-03-14 09:00:00 UTC): entry 6 is missing. Someone changed capstan.db; run `capstan ledger verify` for details.", logs.Lines);
    }

    [Fact]
    public async Task An_edited_entry_with_the_whole_chain_recomputed_is_named_as_rechaining()
    {
        // Two anchors: entry 3 (a minute passed while appending) and entry 10 (the stop).
        await RunAsync(3, async node =>
        {
            _clock.Advance(LedgerAnchoring.Period);
            await PollAsync(() => History.Latest()?.Anchor?.Seq == 3, "an anchor of entry 3 after a minute");
            for (var i = 4; i <= 10; i++) await node.Ledger.AppendAsync("test", "bob", "ops", null, new { n = i });
        });
        await RechainAsync(edit: 6, data: "{\"n\":600}");
        Assert.True(await ChainAloneIsIntactAsync());

        var report = await AuditAsync();
        Assert.False(report.Intact);
        var problem = Assert.Single(report.Problems);
        Assert.Equal("Entry 10 differs from the anchor of 2026-03-14 09:01:00 UTC: the chain was recomputed after it was changed " +
            "(entries up to 3 still match their anchor, so the change is in entries 4–10).", problem);
    }

    [Fact]
    public async Task A_tampered_anchor_signature_is_named()
    {
        await RunAsync(5);
        var latest = History.Latest()!;
        var forged = latest.Anchor! with { Signature = Convert.ToBase64String(new byte[64]) };
        using (var r = new Repository(Data.ConfigRepo))
        {
            var original = r.Lookup<LibGit2Sharp.Commit>(latest.Sha);
            var commit = r.ObjectDatabase.CreateCommit(original.Author, original.Committer, forged.ToCommitMessage(), original.Tree, original.Parents, prettifyMessage: false);
            r.Refs.UpdateTarget(r.Refs[AnchorHistory.Ref], commit.Id, "tamper");
        }
        var report = await AuditAsync();
        Assert.False(report.Intact);
        Assert.Contains(report.Problems, p => p.StartsWith("The anchor of 2026-03-14 09:00:00 UTC (entry 5, commit ", StringComparison.Ordinal)
            && p.EndsWith("has a bad signature: it was edited, or written without Capstan's signing key.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_replaced_signing_key_is_named()
    {
        await RunAsync(3);
        File.Delete(Data.LedgerKeyFile);
        using (LedgerSigningKey.CreateFile(Data)) { }
        await RunAsync(2);
        var report = await AuditAsync();
        Assert.False(report.Intact);
        Assert.Contains(report.Problems, p => p.Contains("the signing key was replaced", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Entries_left_without_an_anchor_for_long_are_named()
    {
        await RunAsync(4);
        using (var r = new Repository(Data.ConfigRepo)) r.Refs.Remove(AnchorHistory.Ref);
        Assert.True((await AuditAsync()).Intact); // just written: a running server anchors within a minute

        _clock.Advance(TimeSpan.FromMinutes(10));
        var report = await AuditAsync();
        Assert.Contains("Entries 1–4 (2026-03-14 09:00:00 UTC to 2026-03-14 09:00:00 UTC) have no anchor, and there is no anchor at all: anchoring stopped " +
            "or anchors were removed. If Capstan crashed, start it again to anchor them; if the anchors are mirrored, verify with --anchors MIRROR.", report.Problems);
    }

    [Fact]
    public async Task Anchors_are_written_every_minute_while_entries_are_appended_and_when_stopping()
    {
        await using (var node = await CapstanNode.OpenAsync(Data, [], _clock, CancellationToken.None))
        {
            await node.Ledger.AppendAsync("test", "bob", "ops", null, new { n = 1 });
            Assert.Null(History.Latest()); // not before the minute is up

            _clock.Advance(LedgerAnchoring.Period);
            await PollAsync(() => History.Latest()?.Anchor?.Seq == 1, "an anchor of entry 1 a minute later");

            _clock.Advance(LedgerAnchoring.Period); // nothing appended meanwhile: no new anchor
            await node.Anchoring.IdleAsync();
            Assert.Single(History.ReadAll());
            await node.Ledger.AppendAsync("test", "bob", "ops", null, new { n = 2 });
            await node.Ledger.AppendAsync("test", "bob", "ops", null, new { n = 3 });
            _clock.Advance(LedgerAnchoring.Period);
            await PollAsync(() => History.Latest()?.Anchor?.Seq == 3, "an anchor of entry 3 after the next minute");

            await node.Ledger.AppendAsync("test", "bob", "ops", null, new { n = 4 });
        }
        var anchors = History.ReadAll();
        Assert.Equal([1L, 3L, 4L], anchors.Select(a => a.Anchor!.Seq));
        Assert.Equal(anchors[1].Sha, anchors[2].Parents.Single()); // each anchor's parent is the one before
        Assert.True((await AuditAsync()).Intact);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task The_data_folder_is_private_to_its_owner_and_a_loose_one_is_tightened()
    {
        await RunAsync(1);
        Assert.Equal(PrivateFolder.FolderMode, File.GetUnixFileMode(_root));
        foreach (var file in new[] { Data.Database, Data.Database + "-wal", Data.LedgerKeyFile })
            if (File.Exists(file)) Assert.Equal(PrivateFolder.FileMode, File.GetUnixFileMode(file));
        Assert.True(File.Exists(Data.LedgerKeyFile));

        File.SetUnixFileMode(_root, PrivateFolder.FolderMode | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        File.SetUnixFileMode(Data.LedgerKeyFile, PrivateFolder.FileMode | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var tightened = PrivateFolder.Secure(Data);
        Assert.Contains($"Tightened {_root} from 0755 to 0700: the data folder is readable by its owner only (it holds the ledger, tokens and the ledger signing key).", tightened);
        Assert.Contains(tightened, t => t.StartsWith($"Tightened {Data.LedgerKeyFile} from 0644 to 0600", StringComparison.Ordinal));
        Assert.Equal(PrivateFolder.FolderMode, File.GetUnixFileMode(_root));
        Assert.Equal(PrivateFolder.FileMode, File.GetUnixFileMode(Data.LedgerKeyFile));
    }

    /// <summary>Changes entry <paramref name="edit"/> and recomputes every hash after it, as an insider with sqlite3 can.</summary>
    private async Task RechainAsync(long edit, string data)
    {
        var entries = new List<LedgerEntry>();
        await using (var store = new SqliteLedgerStore(new SqliteDatabase(Data.Database)))
            await foreach (var e in store.ReadAllAsync(CancellationToken.None)) entries.Add(e);
        await using var c = new SqliteConnection($"Data Source={Data.Database};Pooling=False");
        await c.OpenAsync();
        var prev = LedgerEntry.Genesis;
        foreach (var e in entries)
        {
            var d = e.Seq == edit ? data : e.Data;
            var hash = LedgerEntry.ComputeHash(prev, e.Seq, e.At, e.Kind, e.Actor, e.Room, e.Thread, d);
            await using var cmd = c.CreateCommand();
            cmd.CommandText = "UPDATE ledger SET data = $d, prev_hash = $p, hash = $h WHERE seq = $s";
            cmd.Parameters.AddWithValue("$d", d);
            cmd.Parameters.AddWithValue("$p", prev);
            cmd.Parameters.AddWithValue("$h", hash);
            cmd.Parameters.AddWithValue("$s", e.Seq);
            await cmd.ExecuteNonQueryAsync();
            prev = hash;
        }
    }

    private static async Task PollAsync(Func<bool> done, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!done())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"waited 20 s for {what}");
            await Task.Delay(20);
        }
    }

    /// <summary>Keeps what was logged, as the sentences a person would read.</summary>
    private sealed class RecordedLogs : Microsoft.Extensions.Logging.ILoggerFactory, Microsoft.Extensions.Logging.ILogger
    {
        private readonly List<string> _lines = [];

        public IReadOnlyList<string> Lines { get { lock (_lines) return _lines.ToList(); } }

        public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => this;
        public void AddProvider(Microsoft.Extensions.Logging.ILoggerProvider provider) { }
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_lines) _lines.Add(formatter(state, exception));
        }

        public void Dispose() { }
    }
}
