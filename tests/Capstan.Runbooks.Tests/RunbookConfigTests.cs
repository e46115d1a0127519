using Capstan.Core.Commands;
using Capstan.Runbooks.Config;

namespace Capstan.Runbooks.Tests;

public sealed class RunbookConfigTests
{
    [Fact]
    public async Task A_runbook_with_a_yaml_error_is_refused_with_file_and_line_and_the_last_good_config_stays()
    {
        await using var t = await RunbookNode.StartAsync();
        var rejected = await t.PushAsync("runbooks/broken.yaml", "description: broken\nsteps:\n  - name: a\n    http: { url: [unclosed\n");
        Assert.NotNull(rejected);
        var error = Assert.Single(rejected!.Errors);
        Assert.Equal("runbooks/broken.yaml", error.File);
        Assert.True(error.Line >= 4, error.ToString());
        Assert.True(error.Column > 0, error.ToString());
        // The room is told where the mistake is, as file:line:column.
        Assert.Contains(t.Events, e => e.Message.Text.Contains($"runbooks/broken.yaml:{error.Line}:{error.Column}", StringComparison.Ordinal));
        Assert.Contains("http-check", t.Node.Config.Current.Get<RunbookBook>().Runbooks.Keys);
        Assert.DoesNotContain("broken", t.Node.Config.Current.Get<RunbookBook>().Runbooks.Keys);
    }

    [Fact]
    public async Task Script_paths_that_leave_the_config_repo_unknown_keys_and_missing_scripts_are_refused()
    {
        await using var t = await RunbookNode.StartAsync();
        var rejected = await t.PushAsync("runbooks/escape.yaml", """
            steps:
              - name: out
                script: { path: ../../etc/passwd }
              - name: abs
                script: /bin/sh
              - name: missing
                script: scripts/nothing.sh
              - name: typo
                htp: { url: http://127.0.0.1/ }
            """);
        var text = string.Join("\n", rejected!.Errors.Select(e => e.ToString()));
        Assert.Contains("runbooks/escape.yaml:3:", text);
        Assert.Contains("'../../etc/passwd' leaves the config repo", text);
        Assert.Contains("'/bin/sh' leaves the config repo", text);
        Assert.Contains("script 'scripts/nothing.sh' is not in the config repo", text);
        Assert.Contains("unknown key 'htp' in step — did you mean 'http'?", text);
    }

    [Fact]
    public async Task Products_are_read_from_capstan_yaml_and_their_errors_point_at_the_line()
    {
        await using var t = await RunbookNode.StartAsync();
        var main = t.MainWithoutProducts();
        var rejected = await t.PushAsync("capstan.yaml", main + "\nproducts:\n  shop:\n    services:\n      web: { http: http://127.0.0.1:1/, tcp: \"127.0.0.1:1\" }\n");
        var error = Assert.Single(rejected!.Errors);
        Assert.Equal("capstan.yaml", error.File);
        Assert.Contains("must have exactly one of", error.Message);
        Assert.Null(await t.PushAsync("capstan.yaml", main + "\nproducts:\n  shop:\n    budget: 3s\n    services:\n      web: { http: http://127.0.0.1:1/ }\n      db: { tcp: \"127.0.0.1:5432\" }\n"));
        var shop = t.Node.Config.Current.Get<RunbookBook>().Products["shop"];
        Assert.Equal(TimeSpan.FromSeconds(3), shop.Budget);
        Assert.Equal(["web", "db"], shop.Services.Select(s => s.Name));
    }

    [Fact]
    public async Task Diag_lists_runbooks_and_explains_bad_parameters()
    {
        await using var t = await RunbookNode.StartAsync();
        var list = await t.SayAsync("carol", "diag");
        Assert.Contains("http-check", list.Replies[0].Table!.ToText());
        var unknown = await t.SayAsync("carol", "diag http-chek");
        Assert.Equal(CommandOutcome.Invalid, unknown.Outcome);
        Assert.Contains("did you mean 'http-check'", unknown.Replies[0].Text);
        var missing = await t.SayAsync("carol", "diag http-check");
        Assert.Contains("needs url=", missing.Replies[0].Text);
        var bad = await t.SayAsync("carol", "diag http-check url=file:///etc/passwd");
        Assert.Equal(CommandOutcome.Invalid, bad.Outcome);
        Assert.Contains("not an http:// or https:// address", bad.Replies[0].Text);
        var extra = await t.SayAsync("carol", "diag http-check url=http://127.0.0.1/ colour=red");
        Assert.Contains("unknown parameter 'colour'", extra.Replies[0].Text);
    }
}
