using Capstan.Core.Git;
using Capstan.Delivery.Targets;

namespace Capstan.Delivery.Tests;

public sealed class GitPushTests
{
    private static async Task<string> GitAsync(string dir, params string[] args)
    {
        var r = await GitCli.RunAsync(dir, args, CancellationToken.None);
        Assert.True(r.Ok, $"git {string.Join(' ', args)}: {r.Error}");
        return r.Output;
    }

    private static async Task<string> CloneAsync(DeliveryNode t, string name, string email)
    {
        var dir = Path.Combine(t.Root, "people", name.Split(' ')[0].ToLowerInvariant());
        Directory.CreateDirectory(Path.GetDirectoryName(dir)!);
        await GitAsync(Path.GetDirectoryName(dir)!, "clone", "--quiet", t.Repo.Path, dir);
        await GitAsync(dir, "config", "user.name", name);
        await GitAsync(dir, "config", "user.email", email);
        return dir;
    }

    /// <summary>Pushes as a person would: on a rejected push, pull --rebase and push again.</summary>
    private static async Task PushAsync(string dir)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var push = await GitCli.RunAsync(dir, ["push", "--quiet", "origin", "main"], CancellationToken.None);
            if (push.Ok) return;
            await GitAsync(dir, "pull", "--quiet", "--rebase", "origin", "main");
        }
        Assert.Fail("the push never went through");
    }

    [Fact]
    public async Task A_push_that_races_Capstans_commits_loses_nothing_and_is_applied_as_its_author()
    {
        await using var t = await DeliveryNode.StartAsync();
        await t.HealthyAsync("dev", "1.0.0");
        await t.HealthyAsync("staging", "1.0.0");
        var dave = await CloneAsync(t, "Dave Ops", "dave@example.com");
        await File.WriteAllTextAsync(Path.Combine(dave, "environments", "dev", "demo.yaml"), "version: 1.2.0\n");
        await GitAsync(dave, "commit", "--quiet", "-am", "dev: try 1.2.0");

        // Capstan commits first (so Dave's push is rejected), and keeps committing while he retries.
        await t.SayAsync("bob", "deploy demo 1.1.0 to staging");
        var chatter = Task.Run(async () =>
        {
            for (var i = 0; i < 3; i++)
            {
                await t.SayAsync("alice", $"lock prod freeze {i}");
                await t.SayAsync("alice", "unlock prod");
            }
        });
        await PushAsync(dave);
        await chatter;

        var subjects = t.Repo.Log(100).Select(c => c.Subject).ToList();
        Assert.Contains("dev: try 1.2.0", subjects);
        Assert.Contains("deploy demo 1.1.0 to staging", subjects);
        Assert.Equal(3, subjects.Count(s => s == "unlock prod"));

        var dev = await t.HealthyAsync("dev", "1.2.0");
        Assert.Equal("Dave Ops", dev.LastDeploy!.By);
        await t.HealthyAsync("staging", "1.1.0");
        Assert.Contains(await t.LedgerAsync("delivery.apply"), e => e.Actor == "dave@example.com" && e.Data.Contains("\"version\":\"1.2.0\""));
        await t.MessageAsync(m => m.Text.Contains("demo 1.2.0 is live in dev") && m.Text.Contains("by Dave Ops"), "the notice in dev's room", room: "dev");
    }

    [Fact]
    public async Task An_invalid_push_is_refused_with_file_and_line_and_the_last_good_state_keeps_running()
    {
        await using var t = await DeliveryNode.StartAsync();
        var before = await t.HealthyAsync("staging", "1.0.0");
        var dave = await CloneAsync(t, "Dave Ops", "dave@example.com");
        var app = Path.Combine(dave, "apps", "demo.yaml");
        var text = await File.ReadAllTextAsync(app);
        await File.WriteAllTextAsync(app, text.Replace("expectStatus: 200", "expectStatus: twohundred", StringComparison.Ordinal).Replace("  path: /healthz", "  pth: /healthz", StringComparison.Ordinal));
        await File.WriteAllTextAsync(Path.Combine(dave, "environments", "staging", "demo.yaml"), "version: 1.1.0\n");
        await GitAsync(dave, "commit", "--quiet", "-am", "broken health check");
        await PushAsync(dave);

        var notice = await t.MessageAsync(m => m.Text.Contains("has configuration errors"), "the refusal in the default room", room: "ops");
        Assert.Matches(@"apps/demo\.yaml:\d+:\d+: unknown key 'pth' in health — did you mean 'path'\?", notice.Text);
        Assert.Matches(@"apps/demo\.yaml:\d+:\d+: health\.expectStatus must be a whole number, not 'twohundred'", notice.Text);
        var rejected = t.Node.Config.Rejected!;
        Assert.Equal("Dave Ops", rejected.Author);

        await t.Reconciler.ReconcileAsync(CancellationToken.None);
        var cell = t.Board.Cell("demo", "staging")!;
        Assert.Equal("1.0.0", cell.DesiredVersion);
        Assert.Equal(before.Url, cell.Url);
        var status = await t.SayAsync("carol", "status");
        Assert.Contains("was refused", status.Replies[0].Text);
    }
}
