using System.Data.Common;
using Capstan.Core.Egress;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Capstan.Core.Sql;

/// <summary>The database a read-only query runs against.</summary>
public enum SqlEngine { Postgres, Sqlite }

/// <summary>Why a read-only query could not run, as a sentence a user can act on (never the connection string).</summary>
public sealed class QueryProblem(string message) : Exception(message);

/// <summary>
/// Runs a query from capstan.yaml (runbook sql steps, custom indicators) against a user's PostgreSQL or SQLite,
/// always read-only: PostgreSQL in a READ ONLY transaction with a statement timeout, SQLite opened read-only with
/// query_only on, and the transaction rolled back either way. A PostgreSQL host is checked by the egress guard and
/// the connection goes to the address that was checked; a cancelled SQLite query is interrupted, not left running.
/// </summary>
public static class ReadOnlyQuery
{
    /// <summary>The query and what it runs with; <paramref name="Parameters"/> are bound as parameters, never pasted into SQL.</summary>
    public sealed record Request(SqlEngine Engine, string Connection, string Query, TimeSpan Timeout, string ApplicationName, IReadOnlyDictionary<string, object>? Parameters = null);

    /// <summary>
    /// Runs the query and hands its command to <paramref name="read"/>; <paramref name="checkHost"/> sees a PostgreSQL
    /// host before anything connects (a caller's own reach rules). Failures become <see cref="QueryProblem"/>; a
    /// cancellation stays an <see cref="OperationCanceledException"/>.
    /// </summary>
    public static async Task<T> RunAsync<T>(Request request, EgressGuard egress, Func<DbCommand, CancellationToken, Task<T>> read, CancellationToken ct, Action<string>? checkHost = null)
    {
        try
        {
            return request.Engine == SqlEngine.Postgres
                ? await PostgresAsync(request, egress, read, checkHost, ct)
                : await SqliteAsync(request, read, ct);
        }
        catch (EgressRefused ex) { throw new QueryProblem(ex.Message); }
        catch (PostgresException ex) when (!ct.IsCancellationRequested) { throw new QueryProblem($"the database refused the query: {ex.MessageText} ({ex.SqlState})"); }
        catch (NpgsqlException ex) when (!ct.IsCancellationRequested) { throw new QueryProblem($"cannot query PostgreSQL: {ex.InnerException?.Message ?? ex.Message}"); }
        catch (SqliteException ex) when (!ct.IsCancellationRequested) { throw new QueryProblem($"the database refused the query: {ex.Message.Replace("SQLite Error ", "SQLite error ", StringComparison.Ordinal)}"); }
        catch (DbException) when (ct.IsCancellationRequested) { throw new OperationCanceledException(ct); }
        catch (ArgumentException ex) { throw new QueryProblem($"the connection string is not valid: {ex.Message}"); }
    }

    private static int Seconds(TimeSpan timeout) => Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds));

    private static async Task<T> PostgresAsync<T>(Request r, EgressGuard egress, Func<DbCommand, CancellationToken, Task<T>> read, Action<string>? checkHost, CancellationToken ct)
    {
        var seconds = Seconds(r.Timeout);
        var builder = new NpgsqlConnectionStringBuilder(r.Connection) { CommandTimeout = seconds, Timeout = Math.Min(seconds, 15), ApplicationName = r.ApplicationName };
        checkHost?.Invoke(builder.Host ?? "localhost");
        // Connect to the address the egress guard checked (a name that resolves differently a moment later cannot
        // redirect the connection), unless TLS must verify the host name.
        var checkedAddress = await egress.CheckHostsAsync(builder.Host, ct);
        if (checkedAddress is not null && builder.SslMode != SslMode.VerifyFull) builder.Host = checkedAddress.ToString();
        await using var c = new NpgsqlConnection(builder.ToString());
        await c.OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        await using (var setup = new NpgsqlCommand($"SET TRANSACTION READ ONLY; SET LOCAL statement_timeout = {seconds * 1000}", c, tx))
            await setup.ExecuteNonQueryAsync(ct);
        await using var cmd = new NpgsqlCommand(r.Query, c, tx);
        foreach (var (name, value) in r.Parameters ?? new Dictionary<string, object>()) cmd.Parameters.Add(new NpgsqlParameter(name, value));
        var result = await read(cmd, ct);
        await tx.RollbackAsync(CancellationToken.None);
        return result;
    }

    private static async Task<T> SqliteAsync<T>(Request r, Func<DbCommand, CancellationToken, Task<T>> read, CancellationToken ct)
    {
        var builder = new SqliteConnectionStringBuilder(r.Connection) { Mode = SqliteOpenMode.ReadOnly, Pooling = false };
        await using var c = new SqliteConnection(builder.ToString());
        await c.OpenAsync(ct);
        await using (var pragma = new SqliteCommand("PRAGMA query_only = ON", c))
            await pragma.ExecuteNonQueryAsync(ct);
        // Deferred: the default (IMMEDIATE) takes a write lock, which a read-only connection cannot.
        await using var tx = c.BeginTransaction(deferred: true);
        await using var cmd = new SqliteCommand(r.Query, c, tx) { CommandTimeout = Seconds(r.Timeout) };
        foreach (var (name, value) in r.Parameters ?? new Dictionary<string, object>()) cmd.Parameters.AddWithValue("@" + name, value);
        // SQLite's command timeout only covers waiting for locks; a long query is interrupted when the token fires.
        await using var interrupt = ct.Register(() => { try { SQLitePCL.raw.sqlite3_interrupt(c.Handle); } catch (InvalidOperationException) { } });
        var result = await read(cmd, ct);
        await tx.RollbackAsync(CancellationToken.None);
        return result;
    }
}
