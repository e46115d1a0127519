using Capstan.Core.Config;
using Capstan.Core.Leadership;
using Capstan.Core.Ledger;
using Capstan.Incidents.Config;
using Capstan.Incidents.Desk;
using Capstan.Incidents.Notify;
using Capstan.Incidents.OnCall;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Capstan.Incidents;

/// <summary>
/// The incidents module's background pass: routes other modules' events to notification routes, escalates
/// unacknowledged incidents, reminds commanders of due updates and delivers the notification queue. Every step is
/// idempotent, so a pass run by hand (tests, on a manual clock) and the background one never notify twice.
/// </summary>
public sealed class IncidentWatch : BackgroundService
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly IncidentDesk desk;
    private readonly Escalation escalation;
    private readonly EventRouter events;
    private readonly DeliveryQueue queue;
    private readonly IncidentsOptions options;
    private readonly ILogger _log;
    private readonly ILeadership leadership;

    public IncidentWatch(IncidentDesk desk, Escalation escalation, EventRouter events, DeliveryQueue queue, IncidentsOptions options, ConfigState config, Redactor redactor, ILeadership leadership, ILogger<IncidentWatch>? log = null)
    {
        this.leadership = leadership;
        _log = log ?? NullLogger<IncidentWatch>.Instance;
        this.desk = desk;
        this.escalation = escalation;
        this.events = events;
        this.queue = queue;
        this.options = options;
        // The alert token, HMAC secret and webhook secrets never reach chat, logs or the ledger in clear text.
        void Register(ConfigSnapshot s) => redactor.Add(Secrets(s.Find<IncidentsConfig>()));
        Register(config.Current);
        config.Changed += Register;
    }

    /// <summary>The secret values in the incidents configuration.</summary>
    public static IEnumerable<string> Secrets(IncidentsConfig? c) =>
        c is null ? [] : new[] { c.Alerts.Token, c.Alerts.HmacSecret }.Concat(c.Webhooks.Values.Select(w => w.Secret)).OfType<string>();

    /// <summary>One pass; returns how many queued notifications went out.</summary>
    public async Task<int> TickAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await desk.OpenRoomsAsync(ct);
            await events.RouteAsync(ct);
            await escalation.TickAsync(ct);
            return await queue.DeliverDueAsync(ct);
        }
        finally { _gate.Release(); }
    }

    /// <summary>Opens the incident rooms before anything else starts, so messages to them are accepted at once after a restart.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await desk.OpenRoomsAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Background) return;
        // Only the leader routes, escalates and delivers: a page or a webhook goes out once per deployment.
        await leadership.WhileLeaderAsync(WatchAsync, stoppingToken);
    }

    private async Task WatchAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try { await TickAsync(stoppingToken); }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception ex) { _log.LogWarning(ex, "An incidents pass (routing, escalation, notifications) failed; the next pass tries again"); } // storage hiccup or a broken receiver
            await queue.WaitAsync(options.Tick, stoppingToken);
        }
    }
}
