using Capstan.Core.Access;
using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Conversation;
using Capstan.Core.Egress;
using Capstan.Core.Jobs;
using Capstan.Core.Ledger;
using Capstan.Core.Ledger.Anchors;
using Capstan.Core.Storage;
using Capstan.Core.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Capstan.Core;

/// <summary>
/// One opened data folder: the ledger, the config repo and the configuration in force, the command
/// registry and the conversation loop. The server, the CLI's in-process mode and tests all start here.
/// </summary>
public sealed class CapstanNode : IAsyncDisposable
{
    public DataFolder Data { get; }
    public TimeProvider Clock { get; }
    public Redactor Redactor { get; }
    public SqliteDatabase Database { get; }
    public Ledger.Ledger Ledger { get; }
    public ConfigRepo ConfigRepo { get; }
    public ConfigLoader ConfigLoader { get; }
    public ConfigState Config { get; }
    public RoomDirectory Rooms { get; }
    public RoomFeed Feed { get; }
    public Outbox Outbox { get; }
    public Confirmations Confirmations { get; }
    public CapstanMetrics Metrics { get; } = new();
    public CommandRegistry Registry { get; } = new();
    public AccessTokens Tokens { get; }
    public ConfigReloader Reloader { get; }
    public JobRunner Jobs { get; }
    public EgressGuard Egress { get; }

    /// <summary>Loggers for the parts the node builds itself (no logging when opened without a log).</summary>
    public ILoggerFactory Logs { get; }

    /// <summary>Signs checkpoints of the ledger's head into the config repo (every minute while entries are appended, and at dispose).</summary>
    public LedgerAnchoring Anchoring { get; }

    private CapstanNode(DataFolder data, TimeProvider clock, Redactor redactor, SqliteDatabase db, Ledger.Ledger ledger, ConfigRepo repo, ConfigLoader loader, ConfigState config, ILoggerFactory logs, LedgerAnchoring anchoring)
    {
        Logs = logs;
        Anchoring = anchoring;
        Data = data;
        Clock = clock;
        Redactor = redactor;
        Database = db;
        Ledger = ledger;
        ConfigRepo = repo;
        ConfigLoader = loader;
        Config = config;
        Rooms = new RoomDirectory(config);
        Feed = new RoomFeed(redactor, logs.CreateLogger<RoomFeed>());
        Outbox = new Outbox(ledger, Feed, redactor, clock);
        Egress = new EgressGuard(config);
        Confirmations = new Confirmations(clock);
        Tokens = new AccessTokens(db, clock);
        Reloader = new ConfigReloader(repo, loader, config, ledger, Outbox, logs.CreateLogger<ConfigReloader>());
        Jobs = new JobRunner(new global::Capstan.Core.Jobs.Jobs(db, clock), Outbox, ledger, redactor, clock, logs.CreateLogger<JobRunner>());
    }

    /// <summary>Opens (creating and seeding when new) the data folder.</summary>
    public static async Task<CapstanNode> OpenAsync(DataFolder data, IReadOnlyList<IConfigSection> sections, TimeProvider clock, CancellationToken ct, ILoggerFactory? logs = null)
    {
        logs ??= NullLoggerFactory.Instance;
        PrivateFolder.Secure(data, logs.CreateLogger("Capstan.DataFolder"));
        PrivateFolder.Create(data.Database);
        var db = new SqliteDatabase(data.Database);
        await db.MigrateAsync(ct);
        var redactor = new Redactor();
        var ledger = await Core.Ledger.Ledger.OpenAsync(new SqliteLedgerStore(db), clock, redactor, ct, logs.CreateLogger<Ledger.Ledger>());
        var repo = await ConfigRepo.OpenOrCreateAsync(data.ConfigRepo, DemoSeed.Files(sections), ct, clock);
        var loader = new ConfigLoader(sections);
        var (lastGood, newest) = LastGoodConfig.Find(repo, loader, ct);
        var config = new ConfigState(lastGood);
        if (newest is not null) config.Reject(newest);
        var anchoring = LedgerAnchoring.Open(data, ledger.Store, clock, logs.CreateLogger<LedgerAnchoring>());
        await anchoring.CheckNewestAsync(ct);
        return new CapstanNode(data, clock, redactor, db, ledger, repo, loader, config, logs, anchoring);
    }

    /// <summary>Builds the conversation loop over this node, resolving module services from <paramref name="services"/>.</summary>
    public Conversation.Conversation Conversation(IServiceProvider services) =>
        new(Registry, Config, Rooms, Ledger, Feed, Outbox, Confirmations, Metrics, services, Clock, Logs.CreateLogger<Conversation.Conversation>());

    /// <summary>Registers the node's parts as singletons, and the config reloader as a hosted service.</summary>
    public IServiceCollection AddTo(IServiceCollection services)
    {
        services.AddSingleton(this).AddSingleton(Data).AddSingleton(Clock).AddSingleton(Redactor).AddSingleton(Database)
            .AddSingleton(Ledger).AddSingleton(ConfigRepo).AddSingleton(ConfigLoader).AddSingleton(Config).AddSingleton(Rooms)
            .AddSingleton(Feed).AddSingleton(Outbox).AddSingleton(Confirmations).AddSingleton(Metrics).AddSingleton(Registry)
            .AddSingleton(Tokens).AddSingleton(Reloader).AddSingleton(Jobs).AddSingleton(Jobs.Jobs).AddSingleton(Egress);
        services.AddSingleton<IDatabase>(Database);
        services.AddSingleton<Leadership.ILeadership, Leadership.SoloLeadership>(); // one node leads itself; a test or a replica set registers its own after this
        services.AddSingleton<ConfigWriter>();
        services.AddSingleton<Secrets.SecretStore>();
        services.AddSingleton<IHostedService>(Reloader);
        services.AddSingleton<IHostedService>(Jobs);
        services.AddSingleton<ICancellationSource>(Jobs);
        services.AddSingleton(sp => Conversation(sp));
        return services;
    }

    public async ValueTask DisposeAsync()
    {
        await Ledger.DisposeAsync();
        await Anchoring.DisposeAsync(); // after the last entry is written: the stop is anchored
        await Ledger.Store.DisposeAsync();
        Metrics.Dispose();
    }
}
