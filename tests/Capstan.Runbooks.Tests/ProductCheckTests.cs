using Capstan.Core.Commands;

namespace Capstan.Runbooks.Tests;

[Collection("postgres")]
public sealed class ProductCheckTests(PostgresServer pg)
{
    [Fact]
    public async Task Check_runs_every_service_in_parallel_within_the_budget_and_answers_with_one_table()
    {
        await using var server = new LocalServer(async (req, s, ct) =>
        {
            if (req.Path == "/hang") await Task.Delay(Timeout.Infinite, ct);
            else await LocalServer.RespondAsync(s, 200, """{"status":"ok"}""", "application/json");
        });
        await using var t = await RunbookNode.StartAsync();
        var main = t.MainWithoutProducts();
        Assert.Null(await t.PushAsync("capstan.yaml", main + $$"""

            products:
              shop:
                description: The web shop
                budget: 2s
                services:
                  web: { http: { url: "{{server.Url("/healthz")}}", expect: { json: $.status, equals: ok } } }
                  port: { tcp: "127.0.0.1:{{server.Port}}" }
                  orders-db: { sql: { driver: postgres, connection: "{{pg.ReaderConnection}}", query: "SELECT count(*) FROM orders" } }
                  search: { http: "{{server.Url("/hang")}}", timeout: 30s }
                  cache: { tcp: "127.0.0.1:1" }
            """));
        var r = await t.SayAsync("carol", "check shop");
        Assert.Equal(CommandOutcome.Succeeded, r.Outcome);
        var table = r.Replies[0].Table!;
        Assert.Equal(["service", "status", "latency", "detail"], table.Columns);
        string Status(string service) => table.Rows.Single(row => row[0] == service)[1];
        string Detail(string service) => table.Rows.Single(row => row[0] == service)[3];
        Assert.Equal("up", Status("web"));
        Assert.Equal("up", Status("port"));
        Assert.Equal("up", Status("orders-db"));
        Assert.Equal("DOWN", Status("search"));
        Assert.Contains("no answer within 2s (the time budget)", Detail("search"));
        Assert.Equal("DOWN", Status("cache"));
        Assert.Contains("shop: 2 of 5 service(s) DOWN (search, cache)", r.Replies[0].Text);
        Assert.DoesNotContain("reader-pw-7781", table.ToText());

        var unknown = await t.SayAsync("carol", "check shp");
        Assert.Contains("did you mean 'shop'", unknown.Replies[0].Text);
    }
}
