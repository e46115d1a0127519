using Capstan.Core.Commands;
using Capstan.Core.Jobs;
using Capstan.Runbooks.Chat;
using Microsoft.Extensions.DependencyInjection;

namespace Capstan.Runbooks.Tests;

public sealed class CustomCommandTests
{
    private const string Script = "#!/bin/sh\nfor a in \"$@\"; do printf 'arg=[%s]\\n' \"$a\"; done\necho \"cleaned $1\"\n";

    private const string Command = """
        summary: Clean a host's temp folder
        help: Removes old files under /tmp on the host. Safe to run at any time.
        args:
          host: { type: host, required: true, description: the host to clean }
          depth: { type: enum, values: [shallow, deep], default: shallow }
        examples: ["clean web-1", "clean web-1 depth=deep"]
        permission: deploy
        script:
          path: scripts/clean.sh
          args: ["{{ host }}", "--depth", "{{ depth }}"]
        timeout: 1m
        """;

    [Fact]
    public async Task A_command_from_commands_yaml_appears_in_help_is_authorised_and_runs_its_script_as_a_job()
    {
        await using var t = await RunbookNode.StartAsync();
        Assert.Null(await t.PushAsync(new Dictionary<string, string?> { ["scripts/clean.sh"] = Script, ["commands/clean.yaml"] = Command }));

        var help = await t.SayAsync("bob", "help");
        Assert.Contains("clean HOST [DEPTH] — Clean a host's temp folder. e.g. `clean web-1`", help.Replies[0].Text);
        Assert.DoesNotContain("clean HOST", (await t.SayAsync("carol", "help")).Replies[0].Text);
        var explain = await t.SayAsync("bob", "help clean");
        Assert.Contains("Removes old files under /tmp", explain.Replies[0].Text);
        Assert.Contains("one of shallow, deep", explain.Replies[0].Text);

        var (job, final) = await t.RunJobAsync("bob", "clean web-1 depth=deep");
        Assert.Equal(JobState.Succeeded, job.Job.State);
        Assert.Equal(["arg=[web-1]", "arg=[--depth]", "arg=[deep]", "cleaned web-1"], job.Output);
        Assert.Contains("clean: cleaned web-1", final.Text);

        Assert.Equal(CommandOutcome.Refused, (await t.SayAsync("carol", "clean web-1")).Outcome);
        var badHost = await t.SayAsync("bob", "clean \"web-1; rm -rf /\"");
        Assert.Equal(CommandOutcome.Invalid, badHost.Outcome);
        Assert.Contains("is not a host name", badHost.Replies[0].Text);
        var badDepth = await t.SayAsync("bob", "clean web-1 depth=total");
        Assert.Contains("'total' is not one of shallow, deep", badDepth.Replies[0].Text);
    }

    [Fact]
    public async Task Commands_reload_on_commit_ask_for_confirmation_when_declared_and_never_replace_built_in_ones()
    {
        await using var t = await RunbookNode.StartAsync();
        Assert.Null(await t.PushAsync(new Dictionary<string, string?> { ["scripts/clean.sh"] = Script, ["commands/clean.yaml"] = Command }));
        Assert.NotNull(t.Node.Registry.Find("clean"));

        Assert.Null(await t.PushAsync(new Dictionary<string, string?>
        {
            ["commands/clean.yaml"] = Command.Replace("summary: Clean a host's temp folder", "summary: Wipe a host's temp folder").Replace("permission: deploy", "permission: deploy\neffect: destructive"),
            ["commands/jobs.yaml"] = "summary: shadow the built-in\nscript: scripts/clean.sh\n",
        }));
        Assert.Equal("Wipe a host's temp folder", t.Node.Registry.Find("clean")!.Summary);
        Assert.Equal(["jobs"], t.Services.GetRequiredService<CustomCommands>().Clashes);
        Assert.Equal("Jobs", t.Node.Registry.Find("jobs")!.Group);

        var asked = await t.SayAsync("bob", "clean web-2");
        Assert.Equal(CommandOutcome.Pending, asked.Outcome);
        var code = System.Text.RegularExpressions.Regex.Match(asked.Replies[0].Text, @"confirm (\w+)").Groups[1].Value;
        var (job, _) = await t.RunJobAsync("bob", $"confirm {code}");
        Assert.Contains("cleaned web-2", job.Output);

        Assert.Null(await t.PushAsync(new Dictionary<string, string?> { ["commands/clean.yaml"] = null, ["commands/jobs.yaml"] = null }));
        Assert.Null(t.Node.Registry.Find("clean"));
        Assert.Equal(CommandOutcome.Invalid, (await t.SayAsync("bob", "clean web-1")).Outcome);
    }

    [Fact]
    public async Task A_command_can_run_a_runbook_and_bad_command_files_are_refused_with_file_and_line()
    {
        await using var server = new LocalServer((req, s, ct) => LocalServer.RespondAsync(s, 200, "fine"));
        await using var t = await RunbookNode.StartAsync();
        Assert.Null(await t.PushAsync("commands/ping.yaml", """
            name: ping site
            summary: Check that a site answers
            args:
              port: { type: int, required: true }
            permission: read
            runbook: http-check
            with: { url: "http://127.0.0.1:{{ port }}/healthz" }
            """));
        var (job, final) = await t.RunJobAsync("carol", $"ping site {server.Port}");
        Assert.Equal(JobState.Succeeded, job.Job.State);
        Assert.Contains("all 2 step(s) passed", final.Text);

        var rejected = await t.PushAsync("commands/broken.yaml", "summary: broken\nrunbook: http-chek\nwith: { nope: 1 }\n");
        var error = Assert.Single(rejected!.Errors);
        Assert.Equal("commands/broken.yaml:2:10: unknown runbook 'http-chek' — did you mean 'http-check'? Known runbooks: http-check. Add runbooks/NAME.yaml or fix the name", error.ToString());
        var both = await t.PushAsync(new Dictionary<string, string?> { ["commands/broken.yaml"] = null, ["commands/both.yaml"] = "summary: both\nrunbook: http-check\nscript: scripts/x.sh\n" });
        Assert.Contains("must run exactly one thing", Assert.Single(both!.Errors).Message);
    }
}
