using Microsoft.Data.Sqlite;

namespace Capstan.EndToEnd.Tests;

public sealed class LedgerAnchorEndToEndTests
{
    [Fact]
    public async Task Deleting_the_newest_entries_after_a_stop_is_named_by_ledger_verify_even_with_the_local_anchors_removed()
    {
        var mirror = Path.Combine(Path.GetTempPath(), "capstan-e2e-mirror-" + Guid.NewGuid().ToString("N")[..8] + ".git");
        await CapstanExe.GitAsync(Path.GetTempPath(), "init", "--bare", "--quiet", mirror);
        await CapstanExe.GitAsync(mirror, "config", "receive.denyNonFastForwards", "true");

        await using var server = await CapstanServer.StartAsync();
        await CapstanExe.GitAsync(Path.Combine(server.Data, "config.git"), "remote", "add", "backup", mirror); // the config repo's mirror
        foreach (var text in new[] { "whoami", "help", "history 5" })
            Assert.Equal(0, (await CapstanExe.RunAsync("say", "--data", server.Data, "--as", "bob", text)).ExitCode);
        Assert.Equal(0, await server.StopAsync());

        var intact = await CapstanExe.RunAsync("ledger", "verify", "--data", server.Data);
        Assert.True(intact.ExitCode == 0, intact.Output + intact.Error);
        Assert.Matches(@"^Ledger intact: (\d+) entries checked; entry \1 was anchored at ", intact.Output);
        Assert.Contains("Anchor the ledger at entry", await CapstanExe.GitAsync(mirror, "log", "refs/capstan/ledger-anchors"));

        // An insider deletes the newest entries (the chain that is left is a valid chain) and the local anchors.
        long last;
        await using (var db = new SqliteConnection($"Data Source={Path.Combine(server.Data, "capstan.db")};Pooling=False"))
        {
            await db.OpenAsync();
            await using var cmd = db.CreateCommand();
            cmd.CommandText = "SELECT max(seq) FROM ledger; DELETE FROM ledger WHERE seq > (SELECT max(seq) - 3 FROM ledger); DELETE FROM ledger_keys WHERE seq NOT IN (SELECT seq FROM ledger);";
            last = (long)(await cmd.ExecuteScalarAsync())!;
        }
        var local = await CapstanExe.RunAsync("ledger", "verify", "--data", server.Data);
        Assert.Equal(1, local.ExitCode);
        Assert.Contains($"Entries {last - 2}–{last} were anchored at ", local.Output);
        Assert.Contains("but are missing: the ledger was cut short after they were written.", local.Output);

        await CapstanExe.GitAsync(Path.Combine(server.Data, "config.git"), "update-ref", "-d", "refs/capstan/ledger-anchors");
        var fromMirror = await CapstanExe.RunAsync("ledger", "verify", "--data", server.Data, "--anchors", mirror);
        Assert.Equal(1, fromMirror.ExitCode);
        Assert.Contains($"Entries {last - 2}–{last} were anchored at ", fromMirror.Output);
    }
}
