using System.Data.Common;
using System.Globalization;
using Capstan.Core.Commands;
using Capstan.Core.Egress;
using Capstan.Core.Sql;
using Capstan.Runbooks.Config;

namespace Capstan.Runbooks.Steps;

/// <summary>
/// Runs sql steps against PostgreSQL or SQLite through Core's <see cref="ReadOnlyQuery"/> (a read-only transaction
/// that is rolled back, the step's timeout), with a row limit. Query parameters are passed as parameters, never pasted into SQL.
/// </summary>
public static class SqlProbe
{
    public static async Task<(Dictionary<string, string> Values, Table Table)> RunAsync(SqlStep step, Scope scope, EgressGuard egress, CancellationToken ct)
    {
        var parameters = step.Parameters.ToDictionary(p => p.Key, p => Typed(scope.Resolve(p.Value)));
        var request = new ReadOnlyQuery.Request(step.Driver == SqlDriver.Postgres ? SqlEngine.Postgres : SqlEngine.Sqlite,
            scope.Resolve(step.Connection), step.Query, step.Timeout, "capstan-runbook", parameters);
        try
        {
            return await ReadOnlyQuery.RunAsync(request, egress, (cmd, token) => ReadAsync(cmd, step.MaxRows, token), ct,
                host => scope.Reach.CheckDestination(step, step.Connection, host, null));
        }
        catch (QueryProblem ex)
        {
            throw new StepProblem(ex.Message);
        }
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
