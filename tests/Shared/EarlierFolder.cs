using Capstan.Core.Storage;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Capstan.Testing;

/// <summary>A data folder's database as an earlier version left it: Core's migrations, then the module tables it created on first use.</summary>
public static class EarlierFolder
{
    /// <summary>Creates <paramref name="root"/>/capstan.db with Core's migrations and runs <paramref name="sql"/> on it; returns the database's path.</summary>
    public static async Task<string> WriteAsync(string root, string sql)
    {
        var path = Path.Combine(root, "capstan.db");
        Directory.CreateDirectory(root);
        await new SqliteDatabase(path).MigrateAsync(default); // Core's migrations have kept their ids and names since
        await using var c = await OpenAsync(path);
        await c.ExecuteAsync(sql);
        return path;
    }

    /// <summary>The migrations recorded in the database: id → (name, when it was applied).</summary>
    public static async Task<Dictionary<long, (string Name, string At)>> AppliedAsync(string path)
    {
        await using var c = await OpenAsync(path);
        return (await c.QueryAsync<(long Id, string Name, string At)>("SELECT id, name, applied_at FROM schema_migrations")).ToDictionary(r => r.Id, r => (r.Name, r.At));
    }

    /// <summary>An unpooled connection, so nothing of the test's keeps the file open.</summary>
    public static async Task<SqliteConnection> OpenAsync(string path)
    {
        var c = new SqliteConnection($"Data Source={path};Pooling=False");
        await c.OpenAsync();
        return c;
    }
}
