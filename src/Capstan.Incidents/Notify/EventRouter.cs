using System.Text.Json;
using System.Threading.Channels;
using Capstan.Core.Ledger;
using Capstan.Core.Ledger.Events;

namespace Capstan.Incidents.Notify;

/// <summary>
/// Turns other modules' ledger entries into notification events — <c>delivery.failed</c> → deploy.failed,
/// <c>delivery.approval.requested</c> → approval.requested, <c>delivery.drift</c> → drift.detected, a failed
/// <c>job.finished</c> → job.failed — and sends them where the routes in capstan.yaml say. It only reads the
/// ledger, so it needs no reference to the modules that write those entries.
/// </summary>
public sealed class EventRouter : IDisposable
{
    private readonly Ledger _ledger;
    private readonly Notifier _notifier;
    private readonly Channel<LedgerEntry> _pending = Channel.CreateBounded<LedgerEntry>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest });

    public EventRouter(Ledger ledger, Notifier notifier)
    {
        _ledger = ledger;
        _notifier = notifier;
        _ledger.Appended += OnAppended;
    }

    /// <summary>The notification event a ledger entry stands for, or null.</summary>
    public static string? EventOf(LedgerEntry e)
    {
        switch (e.Kind)
        {
            case DeploymentFailed.Kind: return "deploy.failed";
            case ApprovalRequested.Kind: return "approval.requested";
            case DriftDetected.Kind: return "drift.detected";
            case JobFinished.Kind: return e.As<JobFinished>().State == "failed" ? "job.failed" : null;
            default: return null;
        }
    }

    private void OnAppended(LedgerEntry e)
    {
        // Raised on the ledger's writer thread: queue and return at once.
        if (EventOf(e) is not null) _pending.Writer.TryWrite(e);
    }

    /// <summary>Sends everything that arrived since the last pass; returns how many events were routed.</summary>
    public async Task<int> RouteAsync(CancellationToken ct)
    {
        var n = 0;
        while (_pending.Reader.TryRead(out var e))
        {
            var evt = EventOf(e)!;
            var (app, text) = Describe(e);
            var apps = app is not null ? new[] { app } : [];
            var targets = _notifier.Routed(evt, null, apps);
            if (targets.Count == 0) continue;
            using var d = JsonDocument.Parse(e.Data);
            var root = d.RootElement;
            var recipients = await _notifier.ExpandAsync(targets, null, ct);
            await _notifier.SendAsync(new Notice(evt, text, null, apps, new { source = e.Kind, seq = e.Seq, actor = e.Actor, data = root.Clone() }), recipients, ct);
            n++;
        }
        return n;
    }

    /// <summary>The app an event is about and the sentence that announces it.</summary>
    private static (string? App, string Text) Describe(LedgerEntry e)
    {
        switch (e.Kind)
        {
            case DeploymentFailed.Kind:
                var f = e.As<DeploymentFailed>();
                return (f.App, $"❌ Deploy failed: {f.Subject ?? $"{f.App} {f.Version} in {f.Environment}"}" + (f.Reason is { } r ? $" — {r}" : ""));
            case ApprovalRequested.Kind:
                var a = e.As<ApprovalRequested>();
                return (a.App, $"🙋 Approval requested by {e.Actor}: {a.Subject ?? $"{a.Action} {a.App} {a.Version} to {a.Environment}"}. `approve {a.Id}` or `deny {a.Id}`.");
            case DriftDetected.Kind:
                var drift = e.As<DriftDetected>();
                return (drift.App, $"🧭 Drift detected: {drift.Subject ?? $"{drift.App} in {drift.Environment} no longer matches the config repo"}");
            default:
                var j = e.As<JobFinished>();
                return (null, $"💥 Job {j.Job} ({j.JobKind}) failed: {j.Summary}");
        }
    }

    public void Dispose() => _ledger.Appended -= OnAppended;
}
