using System.Collections.Concurrent;
using Capstan.Core;
using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Conversation;
using Capstan.Core.Ledger;
using Capstan.Core.Modules;
using Capstan.Delivery.Board;
using Capstan.Delivery.Chat;
using Capstan.Delivery.Reconciliation;
using Capstan.Delivery.Targets;
using Capstan.Delivery.Targets.Process;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Capstan.Delivery.Tests;

/// <summary>A clock that runs with real time but can be moved forward (approval expiry) without waiting.</summary>
public sealed class ShiftedClock : TimeProvider
{
    private long _offsetTicks;
    private long _frozenTicks;
    public override DateTimeOffset GetUtcNow() =>
        (Interlocked.Read(ref _frozenTicks) is var f and not 0 ? new DateTimeOffset(f, TimeSpan.Zero) : base.GetUtcNow()) + TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));
    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);

    /// <summary>Stops the date and time from moving on their own (timers and elapsed time still run): only <see cref="Advance"/> moves them.</summary>
    public void Freeze() => Interlocked.Exchange(ref _frozenTicks, base.GetUtcNow().UtcTicks);
}

/// <summary>
/// A real Capstan node with the delivery module in a temp folder: SQLite ledger, bare Git config repo, the
/// reconciler and the process target running real demo-app processes. Every room event is recorded.
/// </summary>
public sealed class DeliveryNode : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(45);
    public static string DemoHost => Path.Combine(AppContext.BaseDirectory, "Capstan.Delivery.DemoHost.dll");

    public string Root { get; }
    public CapstanNode Node { get; }
    public ServiceProvider Services { get; }
    public ShiftedClock Clock { get; }
    public ConcurrentQueue<RoomEvent> Events { get; } = new();
    private readonly IDisposable _listening;
    private readonly List<IHostedService> _hosted;
    private readonly ProcessTarget _target;
    private bool _stopped;
    private bool _closed;

    private DeliveryNode(string root, CapstanNode node, ServiceProvider services, ShiftedClock clock)
    {
        Root = root;
        Node = node;
        Services = services;
        Clock = clock;
        _listening = node.Feed.Listen(e => { Events.Enqueue(e); return ValueTask.CompletedTask; });
        _hosted = services.GetServices<IHostedService>().ToList();
        _target = services.GetRequiredService<ProcessTarget>();
    }

    public static string NewRoot() => Path.Combine(Path.GetTempPath(), "capstan-delivery-" + Guid.NewGuid().ToString("N")[..10]);

    /// <summary>Opens (or reopens) a data folder, optionally editing the seeded config first, and starts the reconciler.</summary>
    public static async Task<DeliveryNode> StartAsync(string? root = null, ShiftedClock? clock = null, bool start = true, Action<IServiceCollection>? replace = null)
    {
        root ??= NewRoot();
        clock ??= new ShiftedClock();
        var node = await CapstanNode.OpenAsync(DataFolder.At(root), [DeliveryModule.Section], clock, CancellationToken.None);
        new CoreCommands().Register(node.Registry);
        node.Registry.Register(new DeliveryModule());
        var collection = node.AddTo(new ServiceCollection()).AddDelivery(new DeliveryOptions
        {
            CapstanCommand = ["dotnet", DemoHost],
            PollInterval = TimeSpan.FromSeconds(1),
            DriftCheckInterval = TimeSpan.FromMilliseconds(200),
        });
        replace?.Invoke(collection);
        var services = collection.BuildServiceProvider();
        var t = new DeliveryNode(root, node, services, clock);
        if (start) await t.StartServicesAsync();
        return t;
    }

    public async Task StartServicesAsync()
    {
        foreach (var h in _hosted) await h.StartAsync(CancellationToken.None);
    }

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();
    public Reconciler Reconciler => Get<Reconciler>();
    public DeliveryBoard Board => Get<DeliveryBoard>();
    public ConfigRepo Repo => Node.ConfigRepo;

    public Task<ConversationResult> SayAsync(string person, string text, string room = "ops", string? thread = null) =>
        Get<Conversation>().HandleAsync(new IncomingMessage("capstan", person, room, text, thread, true), CancellationToken.None);

    /// <summary>Commits files as a person would (through the config repo's CAS), then waits until the server has read it.</summary>
    public async Task<ConfigCommit?> CommitAsync(string message, IReadOnlyDictionary<string, string?> files, string author = "Alice Admin", string email = "alice@example.com")
    {
        var c = await Repo.CommitAsync(new ConfigChange(message, new CommitAuthor(author, email), _ => files), CancellationToken.None);
        await Node.Reloader.RefreshAsync(CancellationToken.None);
        await Reconciler.ReconcileAsync(CancellationToken.None); // rendered and applies started before the caller looks
        return c;
    }

    /// <summary>Polls until the condition holds, failing with the last state when the deadline passes.</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T?>> probe, string what, TimeSpan? within = null) where T : class
    {
        var deadline = DateTime.UtcNow + (within ?? Patience);
        while (true)
        {
            var v = await probe();
            if (v is not null) return v;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"gave up waiting for: {what}");
            await Task.Delay(50);
        }
    }

    public Task<T> EventuallyAsync<T>(Func<T?> probe, string what, TimeSpan? within = null) where T : class =>
        EventuallyAsync(() => Task.FromResult(probe()), what, within);

    public Task<EnvironmentStatus> CellAsync(string env, Func<EnvironmentStatus, bool> condition, string what, string app = "demo") =>
        EventuallyAsync(() => Board.Cell(app, env) is { } c && condition(c) ? c : null, $"{app} in {env}: {what} (now: {Describe(app, env)})");

    public Task<EnvironmentStatus> HealthyAsync(string env, string version, string app = "demo") =>
        CellAsync(env, c => c.LiveVersion == version && c.DesiredVersion == version && c.Health == HealthState.Healthy && c.Sync == SyncState.Synced, $"healthy on {version}", app);

    public string Describe(string app, string env)
    {
        var c = Board.Cell(app, env);
        return c is null ? "no cell" : $"desired {c.DesiredVersion}, live {c.LiveVersion}, {c.Sync}, {c.Health}, {c.Detail}";
    }

    /// <summary>Messages (latest text of each, after edits) in a room, optionally in one thread.</summary>
    public IReadOnlyList<RoomMessage> Messages(string? room = null, string? thread = null)
    {
        var latest = new Dictionary<string, RoomMessage>();
        var order = new List<string>();
        foreach (var e in Events)
        {
            if (!latest.ContainsKey(e.Message.Id)) order.Add(e.Message.Id);
            latest[e.Message.Id] = e.Message;
        }
        return order.Select(id => latest[id]).Where(m => (room is null || m.Room == room) && (thread is null || m.ThreadId == thread)).ToList();
    }

    public Task<RoomMessage> MessageAsync(Func<RoomMessage, bool> match, string what, string? room = null, string? thread = null) =>
        EventuallyAsync(() => Messages(room, thread).FirstOrDefault(match), what + " — messages so far:\n" + string.Join("\n", Messages().Select(m => $"#{m.Room} [{m.ThreadId}] {m.Text}")));

    public async Task<IReadOnlyList<LedgerEntry>> LedgerAsync(string kind) =>
        await Node.Ledger.QueryAsync(new LedgerQuery(Kind: kind, Limit: 1000), CancellationToken.None);

    public static async Task<string> GetAsync(string url)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        return await http.GetStringAsync(url);
    }

    /// <summary>Stops the reconciler like a server shutting down: supervised processes keep running.</summary>
    public async Task StopServicesAsync()
    {
        if (_stopped) return;
        _stopped = true;
        for (var i = _hosted.Count - 1; i >= 0; i--) await _hosted[i].StopAsync(CancellationToken.None);
    }

    /// <summary>Closes the node but leaves its processes and folder for a new node to adopt.</summary>
    public async Task CloseAsync()
    {
        if (_closed) return;
        _closed = true;
        await StopServicesAsync();
        _listening.Dispose();
        await Services.DisposeAsync();
        await Node.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        // The supervised apps are stopped while the target is still whole (after the node is closed, the target is
        // disposed and stopping could fail half-way, leaving demo apps running after the tests).
        await StopServicesAsync();
        var stopsAll = !_closed; // a node closed earlier left its apps for the next node on its folder to adopt
        if (stopsAll) await _target.StopAllAsync();
        await CloseAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var left = stopsAll ? Survivors() : [];
        foreach (var pid in left) { try { System.Diagnostics.Process.GetProcessById(pid).Kill(); } catch (ArgumentException) { } catch (InvalidOperationException) { } }
        try { Directory.Delete(Root, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        // Every app this node started must be gone once it stopped them all (a leak here outlives the test run).
        if (left.Count > 0) throw new InvalidOperationException($"apps still running in {Root} after the node stopped them all: pids {string.Join(", ", left)}");
    }

    /// <summary>Processes whose working folder is one of this node's app folders (Linux: /proc/PID/cwd).</summary>
    private List<int> Survivors()
    {
        var run = Path.Combine(Root, "delivery", "run") + Path.DirectorySeparatorChar;
        var found = new List<int>();
        if (!OperatingSystem.IsLinux()) return found;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                if (new FileInfo(Path.Combine(dir, "cwd")).LinkTarget is { } cwd && cwd.StartsWith(run, StringComparison.Ordinal)) found.Add(pid);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return found;
    }
}
