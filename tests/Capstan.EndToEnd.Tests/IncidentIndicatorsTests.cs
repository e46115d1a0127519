using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Capstan.EndToEnd.Tests;

/// <summary>
/// The incidents and indicators modules meet only in the ledger: an incident declared from chat after a deploy
/// must count as that deploy's failure in `metrics dora`, and its resolution as the recovery, in chat and API alike.
/// </summary>
public sealed class IncidentIndicatorsTests : IAsyncLifetime
{
    private CapstanServer _server = null!;

    public async Task InitializeAsync() => _server = await CapstanServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_server.Data, true); } catch (IOException) { }
    }

    private Task<CapstanExe.Run> Say(string person, string text, string room = "ops") =>
        CapstanExe.RunAsync("say", "--data", _server.Data, "--as", person, "--room", room, text);

    [Fact]
    public async Task An_incident_opened_after_a_deploy_is_that_deploys_failure_and_its_resolution_the_recovery()
    {
        var deploy = await Say("bob", "deploy demo 1.1.0 to staging");
        Assert.True(deploy.ExitCode == 0, deploy.Output + deploy.Error);
        Assert.Contains("healthy", deploy.Output);

        var before = await Say("carol", "metrics dora demo in staging");
        Assert.Equal(0, before.ExitCode);
        Assert.Contains("0% (0 of 2 deploys failed)", before.Output);

        var open = await Say("bob", "incident open \"checkout latency\" sev2 app=demo env=staging");
        Assert.True(open.ExitCode == 0, open.Output + open.Error);
        Assert.Contains("Opened INC-1", open.Output);
        var resolve = await Say("bob", "incident resolve rolled back", room: "inc-1");
        Assert.True(resolve.ExitCode == 0, resolve.Output + resolve.Error);

        var after = await Say("carol", "metrics dora demo in staging");
        Assert.Contains("50% (1 of 2 deploys failed)", after.Output);
        Assert.Contains("1 recovery", after.Output);
        var explain = await Say("carol", "metrics explain dora demo in staging");
        Assert.Matches(@"demo\s+1\.1\.0.*incident INC-1 opened", explain.Output);

        var token = (await CapstanExe.RunAsync("token", "create", "--data", _server.Data, "--person", "carol")).Output;
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", CapstanExe.Token().Match(token).Value);
        var api = await http.GetFromJsonAsync<JsonElement>($"{_server.Url}/api/indicators/dora?app=demo&env=staging");
        var failRate = api.GetProperty("figures").EnumerateArray().Single(f => f.GetProperty("key").GetString() == "changeFailRate");
        Assert.Equal(0.5, failRate.GetProperty("value").GetDouble());
    }
}
