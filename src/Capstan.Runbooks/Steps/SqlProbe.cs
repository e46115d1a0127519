using System.Data.Common;
using System.Globalization;
using Capstan.Core.Commands;
using Capstan.Core.Egress;
using Capstan.Runbooks.Config;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Capstan.Runbooks.Steps;

/// <summary>
/// Runs sql steps against PostgreSQL or SQLite, always inside a read-only transaction that is rolled back,
/// with a row limit and the step's timeout. Query parameters are passed as parameters, never pasted into SQL.
/// </summary>
public static class SqlProbe
{
    public static async Task<(Dictionary<string, string> Values, Table Table)> RunAsync(SqlStep step, Scope scope, EgressGuard egress, CancellationToken ct)
    {
        var connection = scope.Resolve(step.Connection);
        var parameters = step.Parameters.ToDictionary(p => p.Key, p => scope.Resolve(p.Value));
        try
        {
            return step.Driver == SqlDriver.Postgres
                ? await PostgresAsync(step, scope, egress, connection, parameters, ct)
                : await SqliteAsync(step, connection, parameters, ct);
        }
        catch (EgressRefused ex)
        {
            throw new StepProblem(ex.Message);
        }
        catch (PostgresException ex)
        {
            throw new StepProblem($"the database refused the query: {ex.MessageText} ({ex.SqlState})");
        }
        catch (NpgsqlException ex)
        {
            throw new StepProblem($"cannot query PostgreSQL: {ex.InnerException?.Message ?? ex.Message}");
        }
        catch (SqliteException ex)
        {
            throw new StepProblem($"the database refused the query: {ex.Message.Replace("SQLite Error ", "SQLite error ", StringComparison.Ordinal)}");
        }
        catch (ArgumentException ex)
        {
            throw new StepProblem($"the connection string is not valid: {ex.Message}");
        }
    }

    private static async Task<(Dictionary<string, string>, Table)> PostgresAsync(SqlStep step, Scope scope, EgressGuard egress, string connection, Dictionary<string, string> parameters, CancellationToken ct)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(step.Timeout.TotalSeconds));
        var builder = new NpgsqlConnectionStringBuilder(connection) { CommandTimeout = seconds, Timeout = Math.Min(seconds, 15), ApplicationName = "capstan-runbook" };
        scope.Reach.CheckDestination(step, step.Connection, builder.Host ?? "localhost", null);
        await PinAsync(builder, egress, ct);
        await using var c = new NpgsqlConnection(builder.ToString());
        await c.OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        await using (var setup = new NpgsqlCommand($"SET TRANSACTION READ ONLY; SET LOCAL statement_timeout = {seconds * 1000}", c, tx))
            await setup.ExecuteNonQueryAsync(ct);
        await using var cmd = new NpgsqlCommand(step.Query, c, tx);
        foreach (var (name, value) in parameters) cmd.Parameters.Add(new NpgsqlParameter(name, Typed(value)));
        var result = await ReadAsync(cmd, step.MaxRows, ct);
        await tx.RollbackAsync(CancellationToken.None);
        return result;
    }

    private static async Task<(Dictionary<string, string>, Table)> SqliteAsync(SqlStep step, string connection, Dictionary<string, string> parameters, CancellationToken ct)
    {
        var builder = new SqliteConnectionStringBuilder(connection) { Mode = SqliteOpenMode.ReadOnly, Pooling = false };
        await using var c = new SqliteConnection(builder.ToString());
        await c.OpenAsync(ct);
        await using (var pragma = new SqliteCommand("PRAGMA query_only = ON", c))
            await pragma.ExecuteNonQueryAsync(ct);
        // Deferred: the default (IMMEDIATE) takes a write lock, which a read-only connection cannot.
        await using var tx = c.BeginTransaction(deferred: true);
        await using var cmd = new SqliteCommand(step.Query, c, tx) { CommandTimeout = Math.Max(1, (int)step.Timeout.TotalSeconds) };
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue("@" + name, Typed(value));
        var result = await ReadAsync(cmd, step.MaxRows, ct);
        await tx.RollbackAsync(CancellationToken.None);
        return result;
    }

    /// <summary>
    /// Checks the database's host with the egress guard and, unless TLS must verify the host name, connects to the very
    /// address that was checked (so a name that resolves differently a moment later cannot redirect the connection).
    /// </summary>
    internal static async Task PinAsync(NpgsqlConnectionStringBuilder builder, EgressGuard egress, CancellationToken ct)
    {
        var checkedAddress = await egress.CheckHostsAsync(builder.Host, ct);
        if (checkedAddress is not null && builder.SslMode != SslMode.VerifyFull) builder.Host = checkedAddress.ToString();
    }

    /// <summary>Whole numbers travel as numbers so they compare with integer columns; everything else as text.</summary>
    private static object Typed(string value) =>
        long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : value;

    private static async Task<(Dictionary<string, string>, Table)> ReadAsync(DbCommand cmd, int maxRows, CancellationToken ct)
    {
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var columns = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToList();
        var rows = new List<IReadOnlyList<string>>();
        var more = false;
        while (await reader.ReadAsync(ct))
        {
            if (rows.Count == maxRows) { more = true; break; }
            rows.Add(Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "null" : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture) ?? "").ToList());
        }
        var values = new Dictionary<string, string>
        {
            ["rows"] = rows.Count.ToString(CultureInfo.InvariantCulture),
            ["first"] = rows.Count > 0 && rows[0].Count > 0 ? rows[0][0] : "",
            ["detail"] = more ? $"first {rows.Count} rows (the row limit; more exist)" : $"{rows.Count} row(s)",
        };
        return (values, new Table(columns, rows));
    }
}
