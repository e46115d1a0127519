using Capstan.Incidents.Desk;
using Capstan.Incidents.Notify;
using Capstan.Incidents.OnCall;
using Microsoft.Extensions.Hosting;

namespace Capstan.Incidents;

/// <summary>
/// The incidents module's background pass: routes other modules' events to notification routes, escalates
/// unacknowledged incidents, reminds commanders of due updates and delivers the notification queue. Every step is
/// idempotent, so a pass run by hand (tests, on a manual clock) and the background one never notify twice.
/// </summary>
public sealed class IncidentWatch(IncidentDesk desk, Escalation escalation, EventRouter events, DeliveryQueue queue, IncidentsOptions options) : BackgroundService
{
    private readonly SemaphoreSlim _gate = new(1, 1);

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
        while (!stoppingToken.IsCancellationRequested)
        {
            try { await TickAsync(stoppingToken); }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception) { /* storage hiccup or a broken receiver: try again next pass */ }
            await queue.WaitAsync(options.Tick, stoppingToken);
        }
    }
}
