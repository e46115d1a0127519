using Capstan.Chat.Platforms;
using Capstan.Chat.Store;
using Capstan.Core.Config;
using Capstan.Core.Conversation;
using Capstan.Core.Jobs;
using Capstan.Core.Leadership;
using Capstan.Core.Ledger;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Capstan.Chat.Adapters;

/// <summary>
/// Runs every adapter named under <c>platforms:</c> at the same time, on the leader only (platform connections must exist
/// once per deployment). A configuration commit that changes a platform's settings restarts that adapter alone; one that
/// removes it stops it.
/// </summary>
public sealed class AdapterHost(IServiceProvider services, IReadOnlyList<IChatPlatform> platforms, ConfigState config, ILeadership leadership,
    IChatStore store, RoomFeed feed, TimeProvider clock, ILoggerFactory? logFactory = null) : BackgroundService
{
    private readonly ILoggerFactory logs = logFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;
    private readonly ILogger _log = (logFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger<AdapterHost>();

    /// <summary>Deliveries are remembered this long (platforms redeliver within minutes).</summary>
    public static readonly TimeSpan DeliveryMemory = TimeSpan.FromDays(2);


    private readonly Lock _gate = new();
    private readonly Dictionary<string, Running> _running = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, AdapterStatus> _failed = new(StringComparer.OrdinalIgnoreCase);
    private readonly SemaphoreSlim _changes = new(0);

    /// <summary>Each configured adapter's state, for <c>capstan adapters</c> and the adapters page.</summary>
    public IReadOnlyList<AdapterStatus> Statuses
    {
        get { lock (_gate) return _running.Values.Select(r => r.Connection.Status).Concat(_failed.Values).OrderBy(s => s.Platform, StringComparer.Ordinal).ToList(); }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => leadership.WhileLeaderAsync(LeadAsync, stoppingToken);

    private async Task LeadAsync(CancellationToken ct)
    {
        void OnChange(ConfigSnapshot _) => _changes.Release();
        config.Changed += OnChange;
        var rooms = services.GetRequiredService<RoomDirectory>();
        rooms.Opened += OnOpened;
        try
        {
            var nextSweep = DateTimeOffset.MinValue;
            while (!ct.IsCancellationRequested)
            {
                await ApplyAsync(config.Current.Find<PlatformsConfig>() ?? PlatformsConfig.None, ct);
                if (clock.GetUtcNow() >= nextSweep)
                {
                    await store.ForgetDeliveriesAsync(clock.GetUtcNow() - DeliveryMemory, ct);
                    nextSweep = clock.GetUtcNow() + TimeSpan.FromHours(1);
                }
                try { await _changes.WaitAsync(TimeSpan.FromHours(1), ct); }
                catch (OperationCanceledException) { break; }
            }
        }
        finally
        {
            rooms.Opened -= OnOpened;
            config.Changed -= OnChange;
            await ApplyAsync(PlatformsConfig.None, CancellationToken.None);
        }
    }

    /// <summary>
    /// Sends <paramref name="text"/> straight to a room's channel on one platform, outside the room's history and the
    /// ledger (a link code, which must not be kept anywhere in the clear). False when that platform is not connected or
    /// does not have the room.
    /// </summary>
    public async Task<bool> SendUnrecordedAsync(string platform, string room, string text, CancellationToken ct)
    {
        Running? running;
        lock (_gate) _running.TryGetValue(platform, out running);
        if (running is null || !running.Connection.WhenConnected.IsCompleted) return false;
        if (await running.Connection.DestinationAsync(room, ct) is not { } to) return false;
        var adapter = running.Connection.Adapter;
        await adapter.PostAsync(to, adapter.Markup.Escape(text), ct);
        return true;
    }

    /// <summary>A room opened at run time (an incident's) gets a channel on every platform that can make one.</summary>
    private void OnOpened(OpenedRoom room)
    {
        List<Running> running;
        lock (_gate) running = [.. _running.Values];
        foreach (var r in running) r.Connection.OpenChannel(room);
    }

    /// <summary>Starts, restarts and stops adapters so that exactly the configured ones run with their current settings.</summary>
    private async Task ApplyAsync(PlatformsConfig wanted, CancellationToken ct)
    {
        List<Running> stop;
        var start = new List<PlatformSettings>();
        lock (_gate)
        {
            stop = _running.Values.Where(r => wanted.Platforms.FirstOrDefault(p => p.Platform == r.Connection.Platform) is not { } s || s.Fingerprint != r.Connection.Settings.Fingerprint).ToList();
            foreach (var r in stop) _running.Remove(r.Connection.Platform);
            _failed.Clear(); // tried again below with the settings now in force
            start.AddRange(wanted.Platforms.Where(p => !_running.ContainsKey(p.Platform)));
        }
        foreach (var r in stop)
        {
            _log.LogInformation("Stopping the {Platform} adapter ({Why})", r.Connection.Platform, ct.IsCancellationRequested ? "Capstan is stopping" : "its settings changed");
            await r.StopAsync();
        }
        if (ct.IsCancellationRequested) return;
        foreach (var settings in start)
        {
            var platform = platforms.First(p => string.Equals(p.Name, settings.Platform, StringComparison.OrdinalIgnoreCase));
            IChatAdapter adapter;
            try { adapter = platform.Create(settings, services); }
            catch (Exception ex)
            {
                // Shown in `capstan adapters` until the settings change; the other platforms start regardless.
                _log.LogError(ex, "The {Platform} adapter could not be made from its settings", settings.Platform);
                lock (_gate) _failed[settings.Platform] = new AdapterStatus(settings.Platform, AdapterState.Stopped, clock.GetUtcNow(), "not started",
                    services.GetRequiredService<Redactor>().Redact(ex.Message), clock.GetUtcNow(), 0, 0, 0, 0, 0, 0, 0);
                continue;
            }
            var connection = new AdapterConnection(adapter, settings, store, config, services.GetRequiredService<RoomDirectory>(),
                services.GetRequiredService<Conversation>(), services.GetRequiredService<Redactor>(), clock, logs);
            connection.Place.LinkFor = room => services.GetService<JobRunner>()?.WebAddress is { Length: > 0 } web ? $"{web.TrimEnd('/')}/#{room}" : null;
            var attached = feed.Attach(connection.Place, clock);
            var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var running = new Running(connection, attached, cts, Task.Run(() => connection.RunAsync(cts.Token), CancellationToken.None));
            lock (_gate) _running[settings.Platform] = running;
            foreach (var room in services.GetRequiredService<RoomDirectory>().OpenedRooms) connection.OpenChannel(room);
            _log.LogInformation("Started the {Platform} adapter for rooms {Rooms}", settings.Platform, string.Join(", ", settings.Rooms.Keys.Select(r => "#" + r)));
        }
    }

    private sealed record Running(AdapterConnection Connection, IDisposable Attached, CancellationTokenSource Stop, Task Loop)
    {
        public async Task StopAsync()
        {
            Attached.Dispose();
            await Stop.CancelAsync();
            await Loop;
            await Connection.DisposeAsync();
            await Connection.Adapter.DisposeAsync();
            Stop.Dispose();
        }
    }
}
