using Capstan.Core.Jobs;
using Capstan.Core.Ledger;

namespace Capstan.Runbooks.Tests;

[Collection("postgres")]
public sealed class PostgresTests(PostgresServer pg)
{
    private static string Cell(Capstan.Core.Commands.Table table, string step, string column) =>
        table.Rows.First(r => r[0] == step)[table.Columns.ToList().IndexOf(column)];

    [Fact]
    public async Task Sql_steps_query_a_real_postgres_read_only_with_a_row_limit_and_writes_are_refused_by_the_database()
    {
        await using var t = await RunbookNode.StartAsync();
        // The connection string (with its password) lives in the secrets file outside Git.
        await File.WriteAllTextAsync(Path.Combine(t.Root, "secrets.yaml"), $"shop-db: \"{pg.ReaderConnection}\"\n");
        Assert.Null(await t.PushAsync("runbooks/orders.yaml", """
            description: Stuck orders and one customer's order
            parameters:
              order: { type: int, required: true }
            steps:
              - name: order
                sql:
                  driver: postgres
                  connection: { secret: shop-db }
                  query: "SELECT id, customer, state FROM orders WHERE id = @order"
                  parameters: { order: "{{ order }}" }
              - name: stuck
                sql:
                  driver: postgres
                  connection: { secret: shop-db }
                  query: "SELECT id, state FROM orders WHERE state = 'stuck' ORDER BY id"
                  maxRows: 25
                continueOnError: true
              - name: write
                sql:
                  driver: postgres
                  connection: { secret: shop-db }
                  query: "DELETE FROM orders WHERE id = @order"
                  parameters: { order: "{{ order }}" }
            """));
        var (job, final) = await t.RunJobAsync("carol", "diag orders order=42");
        Assert.Equal(JobState.Failed, job.Job.State);
        Assert.Equal("ok", Cell(final.Table!, "order", "status"));
        Assert.Contains("first 25 rows (the row limit; more exist)", Cell(final.Table!, "stuck", "detail"));
        Assert.Contains("cannot execute DELETE in a read-only transaction (25006)", Cell(final.Table!, "write", "detail"));
        Assert.Equal(500, await pg.CountAsync("SELECT count(*) FROM orders"));

        var order = t.Events.Select(e => e.Message).First(m => m.Text.StartsWith("order: 1 row(s)", StringComparison.Ordinal));
        Assert.Equal(["id", "customer", "state"], order.Table!.Columns);
        Assert.Equal(["42", "customer 42", "shipped"], order.Table.Rows[0]);
        var stuck = t.Events.Select(e => e.Message).First(m => m.Text.StartsWith("stuck: 25 row(s)", StringComparison.Ordinal));
        Assert.Equal(20, stuck.Table!.Rows.Count);
        Assert.Contains("first 20 shown", stuck.Text);
        Assert.Contains(job.Output, l => l == "250 | stuck");

        var ledger = await t.Node.Ledger.QueryAsync(new LedgerQuery(Limit: 1000), CancellationToken.None);
        Assert.DoesNotContain(ledger, e => e.Data.Contains("reader-pw-7781"));
    }

    [Fact]
    public async Task A_bad_password_and_a_closed_port_are_reported_as_sentences()
    {
        await using var t = await RunbookNode.StartAsync();
        Assert.Null(await t.PushAsync("runbooks/badpg.yaml", $$"""
            steps:
              - name: auth
                sql: { driver: postgres, connection: "Host=127.0.0.1;Port={{pg.Port}};Username=reader;Password=wrong;Database=shop", query: "SELECT 1" }
                continueOnError: true
              - name: closed
                sql: { driver: postgres, connection: "Host=127.0.0.1;Port=1;Username=reader;Password=x;Database=shop", query: "SELECT 1" }
            """));
        var (_, final) = await t.RunJobAsync("carol", "diag badpg");
        Assert.Contains("password authentication failed", Cell(final.Table!, "auth", "detail"));
        Assert.Contains("cannot query PostgreSQL", Cell(final.Table!, "closed", "detail"));
    }
}
