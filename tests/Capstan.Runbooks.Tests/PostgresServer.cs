using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Capstan.Runbooks.Tests;

/// <summary>
/// A real PostgreSQL 15 for the test run: initdb and pg_ctl as the postgres user (via runuser when the tests
/// run as root) in a postgres-owned temp folder, on 127.0.0.1 and a free port; stopped when the run ends.
/// Seeds a database <c>shop</c> with a table <c>orders</c> and a login role <c>reader</c>.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private const string Bin = "/usr/lib/postgresql/15/bin";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "capstan-pg-" + Guid.NewGuid().ToString("N")[..10]);
    public int Port { get; private set; }

    public string Data => Path.Combine(_root, "data");
    public string Sockets => Path.Combine(_root, "sock");

    /// <summary>The connection string runbooks use: the reader role over TCP with a password.</summary>
    public string ReaderConnection => $"Host=127.0.0.1;Port={Port};Username=reader;Password=reader-pw-7781;Database=shop";

    private string AdminConnection => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres";

    public async Task InitializeAsync()
    {
        if (!File.Exists(Path.Combine(Bin, "initdb")))
            throw new InvalidOperationException("PostgreSQL 15 is not installed; test.sh installs the postgresql package (apt-get install postgresql).");
        Port = FreePort();
        Directory.CreateDirectory(_root);
        await RunAsync("install", "-d", "-o", "postgres", "-g", "postgres", "-m", "700", Data);
        await RunAsync("install", "-d", "-o", "postgres", "-g", "postgres", "-m", "755", Sockets);
        await AsPostgresAsync(Path.Combine(Bin, "initdb"), "-D", Data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale");
        await AsPostgresAsync(Path.Combine(Bin, "pg_ctl"), "-D", Data, "-l", Path.Combine(Sockets, "pg.log"), "-w", "-o",
            $"-c listen_addresses=127.0.0.1 -p {Port} -c unix_socket_directories={Sockets} -c fsync=off", "start");
        await using var admin = new NpgsqlConnection(AdminConnection);
        await admin.OpenAsync();
        await Exec(admin, "CREATE ROLE reader LOGIN PASSWORD 'reader-pw-7781'");
        await Exec(admin, "CREATE DATABASE shop OWNER reader");
        await using var shop = new NpgsqlConnection($"Host=127.0.0.1;Port={Port};Username=reader;Password=reader-pw-7781;Database=shop");
        await shop.OpenAsync();
        await Exec(shop, "CREATE TABLE orders (id int PRIMARY KEY, customer text NOT NULL, state text NOT NULL)");
        await Exec(shop, "INSERT INTO orders SELECT g, 'customer ' || g, CASE WHEN g % 10 = 0 THEN 'stuck' ELSE 'shipped' END FROM generate_series(1, 500) g");
        await Exec(admin, "ALTER ROLE postgres PASSWORD 'admin-pw-5531'");
        // From here on TCP logins need a password, so a wrong one is refused as in production.
        var hba = Path.Combine(Data, "pg_hba.conf");
        await RunAsync("sed", "-i", "-E", @"s/^(host\s+all\s+all\s+127\.0\.0\.1\/32\s+)trust/\1scram-sha-256/", hba);
        await AsPostgresAsync(Path.Combine(Bin, "pg_ctl"), "-D", Data, "reload");
        NpgsqlConnection.ClearAllPools();
    }

    private static async Task Exec(NpgsqlConnection c, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task<long> CountAsync(string sql)
    {
        await using var c = new NpgsqlConnection(ReaderConnection);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (Port != 0) await AsPostgresAsync(Path.Combine(Bin, "pg_ctl"), "-D", Data, "-m", "immediate", "-w", "stop");
        try { Directory.Delete(_root, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private static Task AsPostgresAsync(string program, params string[] args) =>
        Environment.UserName == "postgres" ? RunAsync(program, args) : RunAsync("runuser", ["-u", "postgres", "--", program, .. args]);

    private static async Task RunAsync(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = "/" };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited with {p.ExitCode}: {await error}{await output}");
    }
}

[CollectionDefinition("postgres")]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>;
