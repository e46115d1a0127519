using Capstan.Core.Commands;
using Microsoft.Data.Sqlite;

namespace Capstan.Indicators.Tests;

/// <summary>Custom indicators from indicators/*.yaml: SQL (read-only), HTTP JSON + path, Prometheus; values, trends, failures.</summary>
public sealed class CustomIndicatorTests
{
    private static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-11-23T08:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<string> ShopDbAsync(int orders)
    {
        var path = Path.Combine(Path.GetTempPath(), "shop-" + Guid.NewGuid().ToString("N")[..8] + ".db");
        await using var c = new SqliteConnection($"Data Source={path};Pooling=False");
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "CREATE TABLE orders (id INTEGER PRIMARY KEY, amount REAL);" + string.Concat(Enumerable.Range(1, orders).Select(i => $"INSERT INTO orders (amount) VALUES ({i});"));
        await cmd.ExecuteNonQueryAsync();
        return path;
    }

    private static async Task AddOrdersAsync(string path, int n)
    {
        await using var c = new SqliteConnection($"Data Source={path};Pooling=False");
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = string.Concat(Enumerable.Range(1, n).Select(_ => "INSERT INTO orders (amount) VALUES (1);"));
        await cmd.ExecuteNonQueryAsync();
    }

    private static string Sql(string db, string query, string extra = "") => $"""
        description: Orders placed
        unit: orders
        timeout: 2s
        source:
          sql: {"{"} driver: sqlite, connection: "Data Source={db}", query: "{query}" {"}"}
        thresholds: {"{"} warn: 10, critical: 5, better: higher {"}"}
        {extra}
        """;

    [Fact]
    public async Task A_sql_indicator_shows_its_value_status_and_trend_from_earlier_readings()
    {
        await using var node = await IndicatorsNode.StartAsync(Start);
        var db = await ShopDbAsync(8);
        Assert.Null(await node.PushAsync(new Dictionary<string, string?> { ["indicators/orders.yaml"] = Sql(db, "SELECT count(*) FROM orders") }));

        var first = Assert.Single((await node.SayAsync("carol", "metrics orders")).Replies);
        Assert.Equal("orders: 8 orders (warn; warn below 10 orders, critical below 5 orders). No earlier readings in the last 7 days to show a trend; each `metrics` and digest adds one.", first.Text);
        Assert.Equal(ReplyTone.Warning, first.Tone);

        node.Clock.Advance(TimeSpan.FromDays(1));
        await AddOrdersAsync(db, 4);
        var second = Assert.Single((await node.SayAsync("carol", "metrics orders last 7d")).Replies);
        Assert.Equal("orders: 12 orders (ok; warn below 10 orders, critical below 5 orders). Trend in the last 7 days: 8 → 12 orders, +50%, min 8, max 12 over 2 readings.", second.Text);
        Assert.Equal(ReplyTone.Success, second.Tone);

        var list = Assert.Single((await node.SayAsync("carol", "metrics")).Replies);
        Assert.Equal(["orders", "sql", "orders", "warn below 10 orders, critical below 5 orders", "Orders placed"], Assert.Single(list.Table!.Rows));
    }

    [Fact]
    public async Task A_sql_indicator_cannot_write_and_a_failing_or_slow_query_is_reported_with_its_file()
    {
        await using var node = await IndicatorsNode.StartAsync(Start);
        var db = await ShopDbAsync(3);
        Assert.Null(await node.PushAsync(new Dictionary<string, string?>
        {
            ["indicators/wipe.yaml"] = Sql(db, "DELETE FROM orders RETURNING 1"),
            ["indicators/typo.yaml"] = Sql(db, "SELECT count(*) FROM ordrs"),
            ["indicators/slow.yaml"] = Sql(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"),
        }));
        var wipe = await node.SayAsync("alice", "metrics wipe");
        Assert.Equal(CommandOutcome.Failed, wipe.Outcome);
        Assert.StartsWith("wipe could not be read: the database refused the query: SQLite error 8: 'attempt to write a readonly database'", wipe.Replies[0].Text);
        Assert.EndsWith("(indicators/wipe.yaml)", wipe.Replies[0].Text);
        await using (var check = new SqliteConnection($"Data Source={db};Pooling=False"))
        {
            await check.OpenAsync();
            await using var count = check.CreateCommand();
            count.CommandText = "SELECT count(*) FROM orders";
            Assert.Equal(3L, await count.ExecuteScalarAsync()); // nothing was deleted
        }

        var typo = await node.SayAsync("carol", "metrics typo");
        Assert.Equal("typo could not be read: the database refused the query: SQLite error 1: 'no such table: ordrs'. (indicators/typo.yaml)", typo.Replies[0].Text);

        var slow = await node.SayAsync("carol", "metrics slow");
        Assert.Equal(CommandOutcome.Failed, slow.Outcome);
        Assert.Equal("slow did not answer within 2s (timeout: in indicators/slow.yaml); check that its sql source is up, or raise the timeout", slow.Replies[0].Text);
    }

    [Fact]
    public async Task Http_json_and_prometheus_indicators_read_a_real_server_and_report_its_failures()
    {
        await using var http = await LocalHttp.StartAsync();
        await using var node = await IndicatorsNode.StartAsync(Start);
        // Servers that answer get a generous timeout: a loaded CI machine can take seconds over the first request.
        string Http(string path, string json, string timeout = "30s") => $"""
            description: Checkout latency
            unit: ms
            timeout: {timeout}
            source:
              http: {"{"} url: "{http.Url}{path}", path: "{json}" {"}"}
            thresholds: {"{"} warn: 200, critical: 500 {"}"}
            """;
        Assert.Null(await node.PushAsync(new Dictionary<string, string?>
        {
            ["indicators/latency.yaml"] = Http("/stats", "$.data.latency[0].value"),
            ["indicators/missing.yaml"] = Http("/stats", "$.data.latency[3].value"),
            ["indicators/html.yaml"] = Http("/broken", "$.value"),
            ["indicators/down.yaml"] = Http("/down", "$.value"),
            ["indicators/hang.yaml"] = Http("/slow", "$.value", "1s"),
            ["indicators/errors.yaml"] = $"""
                description: Share of 5xx
                unit: "%"
                source:
                  prometheus: {"{"} url: "{http.Url}", query: "sum(rate(http_errors_total[5m]))" {"}"}
                thresholds: {"{"} warn: 1, critical: 5 {"}"}
                """,
            ["indicators/badquery.yaml"] = $"source:\n  prometheus: {{ url: \"{http.Url}\", query: \"bad(\" }}\n",
        }));

        Assert.Equal("latency: 180 ms (ok; warn above 200 ms, critical above 500 ms). No earlier readings in the last 7 days to show a trend; each `metrics` and digest adds one.",
            (await node.SayAsync("carol", "metrics latency")).Replies[0].Text);
        http.P95 = 650;
        node.Clock.Advance(TimeSpan.FromHours(1));
        var critical = (await node.SayAsync("carol", "metrics latency")).Replies[0];
        Assert.Equal(ReplyTone.Error, critical.Tone);
        Assert.Equal("latency: 650 ms (critical; warn above 200 ms, critical above 500 ms). Trend in the last 7 days: 180 → 650 ms, +261%, min 180, max 650 over 2 readings.", critical.Text);

        Assert.Equal("missing could not be read: the response has no item [3] under $.data.latency (indicators/missing.yaml)", (await node.SayAsync("carol", "metrics missing")).Replies[0].Text);
        Assert.StartsWith($"html could not be read: GET {http.Url}/broken did not return JSON", (await node.SayAsync("carol", "metrics html")).Replies[0].Text);
        Assert.Equal($"down could not be read: GET {http.Url}/down answered 503 Service Unavailable (indicators/down.yaml)", (await node.SayAsync("carol", "metrics down")).Replies[0].Text);
        Assert.Equal("hang did not answer within 1s (timeout: in indicators/hang.yaml); check that its http source is up, or raise the timeout", (await node.SayAsync("carol", "metrics hang")).Replies[0].Text);

        var errors = (await node.SayAsync("carol", "metrics errors last 1d")).Replies[0];
        Assert.StartsWith("errors: 0.25% (ok; warn above 1%, critical above 5%). Trend in the last day: 0.1 → 0.25%, +150%, min 0.1, max 0.19 over ", errors.Text);
        Assert.Contains("sum(rate(http_errors_total[5m]))", http.PrometheusQueries);
        Assert.Equal("badquery could not be read: Prometheus refused the query: 1:5: parse error: unclosed left parenthesis (bad_data) (indicators/badquery.yaml)",
            (await node.SayAsync("carol", "metrics badquery")).Replies[0].Text);
    }

    [Fact]
    public async Task Indicators_reach_loopback_sources_only_where_capstan_yaml_egress_allows_them()
    {
        await using var http = await LocalHttp.StartAsync();
        await using var node = await IndicatorsNode.StartAsync(Start);
        var main = node.Node.Config.Current.Files[Core.Config.ConfigLoader.MainFile];
        var closed = System.Text.RegularExpressions.Regex.Replace(main, @"^egress:\n(?:[ \t]+.*\n|[ \t]*\n)*", "", System.Text.RegularExpressions.RegexOptions.Multiline);
        Assert.NotEqual(main, closed);
        Assert.Null(await node.PushAsync(new Dictionary<string, string?>
        {
            [Core.Config.ConfigLoader.MainFile] = closed,
            ["indicators/latency.yaml"] = $"source:\n  http: {{ url: \"{http.Url}/stats\", path: \"$.data.latency[0].value\" }}\n",
            ["indicators/errors.yaml"] = $"source:\n  prometheus: {{ url: \"{http.Url}\", query: \"sum(rate(http_errors_total[5m]))\" }}\n",
            ["indicators/orders.yaml"] = "source:\n  sql: { driver: postgres, connection: \"Host=localhost;Port=1;Username=x;Password=y\", query: \"SELECT 1\" }\n",
        }));
        Assert.Contains("latency could not be read: 127.0.0.1 is a loopback address, and capstan.yaml's egress: allow: does not list it", (await node.SayAsync("carol", "metrics latency")).Replies[0].Text);
        Assert.Contains("errors could not be read: 127.0.0.1 is a loopback address", (await node.SayAsync("carol", "metrics errors")).Replies[0].Text);
        Assert.Contains("orders could not be read: localhost resolves to", (await node.SayAsync("carol", "metrics orders")).Replies[0].Text);
        Assert.Empty(http.PrometheusQueries);

        Assert.Null(await node.PushAsync(new Dictionary<string, string?> { [Core.Config.ConfigLoader.MainFile] = main }));
        Assert.StartsWith("latency: 180", (await node.SayAsync("carol", "metrics latency")).Replies[0].Text);
    }

    [Fact]
    public async Task Invalid_indicator_files_are_refused_with_file_line_and_column()
    {
        await using var node = await IndicatorsNode.StartAsync(Start);
        var rejected = await node.PushAsync(new Dictionary<string, string?>
        {
            ["indicators/a.yaml"] = "description: x\nsource:\n  http: { url: \"http://127.0.0.1:1/x\", path: \"data.value\" }\n",
            ["indicators/b.yaml"] = "unit: ms\nsource:\n  sql: { driver: mysql, connection: x, query: \"SELECT 1\" }\nthreshold: { warn: 1 }\n",
            ["indicators/c.yaml"] = "source: [\n",
            ["indicators/d.yaml"] = "source:\n  prometheus: { url: \"http://p:9090\", query: up }\nthresholds: { warn: lots, better: sideways }\n",
        });
        Assert.NotNull(rejected);
        var text = string.Join("\n", rejected!.Errors.Select(e => e.ToString()));
        Assert.Contains("indicators/a.yaml:3:46: json path 'data.value' must start with $ (for example $.data.value)", text);
        Assert.Contains("indicators/b.yaml:3:18: source.sql.driver must be sqlite or postgres, not 'mysql'", text);
        Assert.Contains("indicators/b.yaml:4:1: unknown key 'threshold' in indicators/b.yaml — did you mean 'thresholds'?", text);
        Assert.Contains("indicators/c.yaml:2:1: invalid YAML", text);
        Assert.Contains("indicators/d.yaml:3:21: thresholds.warn must be a number, not 'lots'", text);
        Assert.Contains("indicators/d.yaml:3:35: thresholds.better must be higher or lower, not 'sideways'", text);
    }
}
