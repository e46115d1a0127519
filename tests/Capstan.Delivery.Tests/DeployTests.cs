using System.Diagnostics;
using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Delivery.Targets;

namespace Capstan.Delivery.Tests;

public sealed class DeployTests
{
    [Fact]
    public async Task Dev_and_staging_run_the_seeded_version_at_start_up()
    {
        await using var t = await DeliveryNode.StartAsync();
        var dev = await t.HealthyAsync("dev", "1.0.0");
        var staging = await t.HealthyAsync("staging", "1.0.0");
        Assert.Contains("\"version\":\"1.0.0\"", await DeliveryNode.GetAsync(staging.Url!));
        Assert.NotEqual(dev.Url, staging.Url);
        var prod = t.Board.Cell("demo", "prod")!;
        Assert.Null(prod.DesiredVersion);
        Assert.Null(prod.LiveVersion);
    }

    [Fact]
    public async Task Deploy_commits_as_the_person_and_follows_the_change_in_one_message_edited_in_place()
    {
        await using var t = await DeliveryNode.StartAsync();
        var before = await t.HealthyAsync("staging", "1.0.0");

        var result = await t.SayAsync("bob", "deploy demo 1.1.0 to staging");
        Assert.Equal(CommandOutcome.Succeeded, result.Outcome);
        var final = await t.MessageAsync(m => m.Text.Contains("is live and healthy in staging"), "the final reply");
        var cell = await t.HealthyAsync("staging", "1.1.0");
        Assert.Contains("\"version\":\"1.1.0\"", await DeliveryNode.GetAsync(cell.Url!));
        Assert.Equal("Bob Builder", cell.LastDeploy!.By);

        // The commit: author the person, committer Capstan, the message and trailers.
        var head = t.Repo.ReadCommit(t.Repo.HeadSha()!);
        Assert.Equal("Bob Builder", head.AuthorName);
        Assert.Equal("bob@example.com", head.AuthorEmail);
        Assert.StartsWith("deploy demo 1.1.0 to staging\n", head.Message);
        Assert.Contains("Capstan-Request: r", head.Message);
        Assert.Equal("version: 1.1.0\n", t.Repo.ReadFiles(head.Sha)["environments/staging/demo.yaml"]);
        var committer = await Core.Git.GitCli.RunAsync(t.Repo.Path, ["log", "-1", "--format=%cn <%ce>"], CancellationToken.None);
        Assert.Equal("Capstan <capstan@localhost>", committer.Output.Trim());

        // One progress message, edited in place (committed → applying → healthy), then the final reply, both in the thread.
        var thread = final.ThreadId!;
        var progressEvents = t.Events.Where(e => e.Message.ThreadId == thread && e.Message.Text.StartsWith("deploy demo 1.1.0 to staging —", StringComparison.Ordinal)).ToList();
        Assert.Single(progressEvents.Select(e => e.Message.Id).Distinct());
        Assert.True(progressEvents.Count(e => e.Type == "edited") >= 3);
        var progress = t.Messages(thread: thread).Single(m => m.Id == progressEvents[0].Message.Id);
        Assert.Contains($"committed {head.ShortSha} → applying 1.1.0 → healthy in", progress.Text);

        // Start new → healthy → stop old: the 1.0.0 process is gone.
        await DeliveryNode.EventuallyAsync(() => Task.FromResult(IsRunning(before.Url!) ? null : "stopped"), "the old process to stop");
        var applied = await t.LedgerAsync("delivery.healthy");
        Assert.Contains(applied, e => e.Actor == "bob" && e.Data.Contains("\"version\":\"1.1.0\""));
    }

    [Fact]
    public async Task A_version_that_never_becomes_healthy_is_reverted_by_Capstan_and_the_old_one_never_stops()
    {
        await using var t = await DeliveryNode.StartAsync();
        await t.CommitAsync("shorter health deadline", new Dictionary<string, string?> { ["apps/demo.yaml"] = ShortDeadline(t, "3s") });
        var before = await t.HealthyAsync("staging", "1.0.0");

        var result = await t.SayAsync("bob", "deploy demo 1.3.0 to staging");
        Assert.Equal(CommandOutcome.Succeeded, result.Outcome);
        var final = await t.MessageAsync(m => m.Text.Contains("Rolled back automatically"), "the rollback reply");
        Assert.Contains("failed its health check in staging", final.Text);
        Assert.Contains("503", final.Text);
        Assert.Contains("on hold until someone deploys again", final.Text);

        var head = t.Repo.ReadCommit(t.Repo.HeadSha()!);
        Assert.StartsWith("Revert \"deploy demo 1.3.0 to staging\"", head.Message);
        Assert.Equal("Capstan", head.AuthorName);
        Assert.Contains("Capstan-Rollback: automatic", head.Message);
        Assert.Equal("version: 1.0.0\n", t.Repo.ReadFiles(head.Sha)["environments/staging/demo.yaml"]);

        var cell = await t.CellAsync("staging", c => c.DesiredVersion == "1.0.0" && c.Held && c.Sync == SyncState.Synced, "back on 1.0.0, held");
        var applies = string.Join("\n", (await t.LedgerAsync("delivery.apply")).Concat(await t.LedgerAsync("delivery.healthy")).Concat(await t.LedgerAsync("delivery.superseded")).OrderBy(e => e.Seq).Select(e => e.Kind + " " + e.Data));
        Assert.True(before.Url == cell.Url, $"{before.Url} vs {cell.Url}:\n{applies}\n{File.ReadAllText(Path.Combine(t.Root, "delivery/logs/demo.staging.log"))}"); // the same 1.0.0 process served throughout
        var status = await t.SayAsync("carol", "status demo in staging");
        Assert.Contains("on hold", status.Replies[0].Text);

        // Someone deploys again: the hold ends.
        await t.SayAsync("bob", "deploy demo 1.1.0 to staging");
        await t.HealthyAsync("staging", "1.1.0");
        Assert.False(t.Board.Cell("demo", "staging")!.Held);
    }

    [Fact]
    public async Task Status_diff_history_and_logs_answer_from_the_board_the_store_and_the_process_output()
    {
        await using var t = await DeliveryNode.StartAsync();
        await t.HealthyAsync("staging", "1.0.0");
        await t.HealthyAsync("dev", "1.0.0");

        var status = await t.SayAsync("carol", "status");
        var table = status.Replies[0].Table!;
        Assert.Equal(["app", "env", "desired", "live", "sync", "health", "url", "last deploy"], table.Columns);
        Assert.Contains(table.Rows, r => r[0] == "demo" && r[1] == "staging" && r[2] == "1.0.0" && r[3] == "1.0.0" && r[4] == "Synced" && r[5] == "Healthy" && r[6].StartsWith("http://127.0.0.1:", StringComparison.Ordinal));

        var diff = await t.SayAsync("carol", "diff demo in staging");
        Assert.Contains("in sync", diff.Replies[0].Text);

        var history = await t.SayAsync("carol", "history demo in staging");
        Assert.Contains(history.Replies[0].Table!.Rows, r => r[1] == "staging" && r[2] == "1.0.0" && r[3] == "healthy");

        var logs = await t.SayAsync("carol", "logs demo in staging 50");
        Assert.Contains("demo 1.0.0 listening on http://127.0.0.1:", logs.Replies[0].Text);
        Assert.Contains("starting demo 1.0.0 on port", logs.Replies[0].Text);
    }

    internal static string ShortDeadline(DeliveryNode t, string deadline) =>
        t.Repo.ReadFiles(t.Repo.HeadSha()!)["apps/demo.yaml"].Replace("deadline: 15s", "deadline: " + deadline, StringComparison.Ordinal)
            .Replace("interval: 5s", "interval: 1s", StringComparison.Ordinal);

    internal static bool IsRunning(string url)
    {
        try { return DeliveryNode.GetAsync(url).Wait(TimeSpan.FromSeconds(2)); }
        catch (AggregateException) { return false; }
    }
}
