using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Capstan.Core;
using Capstan.Core.Access;
using Capstan.Core.Ledger;
using Capstan.Core.Logging;
using Capstan.Core.Modules;
using Capstan.Logging;
using Capstan.Web;
using Capstan.Web.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Capstan.Cli;

/// <summary>`capstan up`: the embedded server — SQLite ledger, local config repo, web UI — with zero configuration.</summary>
public static class UpVerb
{
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "Port on 127.0.0.1", DefaultValueFactory = _ => 8080 };
        var bind = new Option<string>("--bind") { Description = "Address to listen on", DefaultValueFactory = _ => "127.0.0.1" };
        var publicUrl = new Option<string?>("--public-url")
        {
            Description = "The address people reach Capstan at (behind a proxy: https://capstan.example.com), used in the links Capstan prints and posts; or CAPSTAN_PUBLIC_URL",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CAPSTAN_PUBLIC_URL"),
        };
        var logLevel = new Option<string?>("--log-level") { Description = "Lowest level written to the log (trace, debug, information, warning, error, critical, none); wins over logging.level in capstan.yaml" };
        var cmd = new Command("up", "Start Capstan on a data folder (created and seeded with a demo when empty). Prints the URL and a one-time sign-in link for alice.")
        {
            Options.Data, port, bind, publicUrl, logLevel,
        };
        cmd.SetAction((parse, ct) => RunAsync(DataFolder.At(parse.GetValue(Options.Data)!), parse.GetValue(bind)!, parse.GetValue(port), parse.GetValue(publicUrl), ct, parse.GetValue(logLevel)));
        return cmd;
    }

    public static async Task<int> RunAsync(DataFolder data, string bind, int port, string? publicUrl, CancellationToken ct, string? logLevel = null)
    {
        var flagLevel = LoggingSettings.Parse(logLevel);
        if (logLevel is not null && flagLevel is null)
            throw new UsageException($"--log-level must be one of {string.Join(", ", LoggingSettings.Words.Keys)}, not '{logLevel}'.");
        if (port is < 0 or > 65535) throw new UsageException($"--port must be between 0 and 65535, not {port}.");
        if (!IPAddress.TryParse(bind, out var address)) throw new UsageException($"--bind must be an IP address such as 127.0.0.1, not '{bind}'.");
        if (!string.IsNullOrWhiteSpace(publicUrl) && (!Uri.TryCreate(publicUrl.Trim(), UriKind.Absolute, out var pu) || pu.Scheme is not ("http" or "https") || pu.Query.Length > 0 || pu.Fragment.Length > 0 || pu.UserInfo.Length > 0))
            throw new UsageException($"--public-url must be an absolute http(s) address such as https://capstan.example.com (no user name, password, query or #fragment: it goes into every link), not '{publicUrl}'.");
        using var dataLock = DataLock.TryAcquire(data);
        if (dataLock is null)
        {
            var running = ServerRecord.Read(data);
            throw new CommandFailedException(running is not null
                ? $"Capstan is already running on {data.Root} at {running.Url} (pid {running.Pid}). Stop it first, or use another --data folder."
                : $"Another capstan process is using {data.Root}. Stop it first, or use another --data folder.");
        }
        if (port != 0 && PortInUse(address, port))
            throw new CommandFailedException($"capstan: port {port} on {bind} is in use by another program; stop it or start Capstan with --port N.");
        var fresh = !data.Exists;
        using var log = CapstanLog.Open(data, new LogLevels(flagLevel));
        // Opening the folder tightens its modes and checks the newest anchored ledger entry; the log hears about both.
        await using var node = await Composition.OpenAsync(data, ct, log.Factory);
        log.RedactWith(node.Redactor);
        log.Levels.Follow(node.Config);
        // Refreshed at every start: a push that would put configuration errors on main is refused by git itself.
        if (AdminVerbs.InstallPushHook(data) is { } kept) Console.Error.WriteLine(kept);

        // No appsettings.json reloading: its file watcher on the data folder would wake on every ledger (WAL) write.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = data.Root, Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        log.Configure(builder.Logging);
        builder.WebHost.UseKestrel(k => k.Listen(address, port));
        node.AddTo(builder.Services);
        Composition.Modules.AddServices(builder.Services, ProcessRole.Server);
        builder.Services.AddCapstanWeb(Composition.Modules);
        await using var app = builder.Build();
        app.MapCapstanWeb(Composition.Modules);
        try
        {
            await app.StartAsync(ct);
        }
        catch (IOException ex) when (ex.InnerException is SocketException or Microsoft.AspNetCore.Connections.AddressInUseException or null)
        {
            // Taken between the check above and now, or refused for another reason (an address this host does not have).
            throw new CommandFailedException($"capstan: cannot listen on {bind}:{port} ({ex.InnerException?.Message ?? ex.Message}); stop the program using it or start Capstan with --port N.");
        }
        var url = app.Urls.First().Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal);
        var actualPort = new Uri(url).Port;
        url = $"http://{(address.Equals(IPAddress.Any) ? "127.0.0.1" : bind)}:{actualPort}";

        var record = new ServerRecord(url, Environment.ProcessId, Composition.Clock.GetUtcNow(), string.IsNullOrWhiteSpace(publicUrl) ? null : publicUrl.Trim().TrimEnd('/'));
        node.Jobs.WebAddress = record.LinkBase; // chat messages link each job's page
        await EnsureAdminTokenAsync(node, ct);
        record.Write(data);
        await node.Ledger.AppendAsync(LedgerKinds.ServerStarted, "capstan", null, null, new { url, pid = Environment.ProcessId, config = node.Config.Current.ShortCommit, fresh });
        log.Factory.CreateLogger("Capstan.Server").LogInformation("Capstan is running at {Url} (pid {Pid}) on {Data}, configuration {Commit}, log level {Level}",
            url, Environment.ProcessId, data.Root, node.Config.Current.ShortCommit, log.Levels.Level.ToString().ToLowerInvariant());
        var admin = node.Config.Current.Policy.Granters().FirstOrDefault()?.Id ?? node.Config.Current.Policy.People.Keys.First();
        var link = await node.Tokens.IssueAsync(admin, TokenKind.SignIn, "printed by capstan up", SignIn.LinkLifetime, ct);

        Console.Out.WriteLine($"Capstan is running at {url}" + (record.PublicUrl is { } shown ? $" (links use {shown})" : ""));
        Console.Out.WriteLine($"  data folder : {data.Root}{(fresh ? " (new: seeded with the demo configuration)" : "")}");
        Console.Out.WriteLine($"  config repo : {data.ConfigRepo}  (git clone it, edit capstan.yaml, push)");
        Console.Out.WriteLine($"  sign in as {admin} (one-time link, valid {SignIn.LinkLifetime.TotalMinutes:0} minutes):");
        Console.Out.WriteLine($"    {record.LinkBase}/signin?token={Uri.EscapeDataString(link.Secret)}");
        Console.Out.WriteLine($"  try: capstan say --data {data.Root} --as bob \"help\"");
        Console.Out.WriteLine("Press Ctrl+C to stop.");
        await Console.Out.FlushAsync(ct);

        try { await Task.Delay(Timeout.Infinite, ct); }
        catch (OperationCanceledException) { }
        // A stop asked for (Ctrl+C, SIGTERM, SIGINT to the group) is a success: exit 0 once everything has stopped in
        // order — the reconciler first (no healing while stopping), then the apps, then the web server.
        Console.Out.WriteLine("Stopping Capstan…");
        await node.Ledger.AppendAsync(LedgerKinds.ServerStopping, "capstan", null, null, new { pid = Environment.ProcessId });
        await app.StopAsync(CancellationToken.None);
        try { File.Delete(data.ServerFile); } catch (IOException) { }
        Console.Out.WriteLine("Capstan stopped.");
        return 0;
    }

    /// <summary>Whether another program listens on the address already (checked before anything starts, so the answer is one sentence).</summary>
    private static bool PortInUse(IPAddress address, int port)
    {
        using var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            probe.Bind(new IPEndPoint(address, port));
            return false;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return true;
        }
    }

    private static async Task EnsureAdminTokenAsync(CapstanNode node, CancellationToken ct)
    {
        var file = node.Data.AdminTokenFile;
        if (File.Exists(file))
        {
            var (t, _) = await node.Tokens.ValidateAsync((await File.ReadAllTextAsync(file, ct)).Trim(), ct);
            if (t is { Kind: TokenKind.LocalAdmin }) return;
        }
        var issued = await node.Tokens.IssueAsync("capstan", TokenKind.LocalAdmin, "local admin", null, ct);
        await File.WriteAllTextAsync(file, "", ct);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await File.WriteAllTextAsync(file, issued.Secret + "\n", ct);
    }
}
