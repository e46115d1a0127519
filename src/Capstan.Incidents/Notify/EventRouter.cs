using System.Text.Json;
using System.Threading.Channels;
using Capstan.Core.Ledger;

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
            case "delivery.failed": return "deploy.failed";
            case "delivery.approval.requested": return "approval.requested";
            case "delivery.drift": return "drift.detected";
            case "job.finished":
                using (var d = JsonDocument.Parse(e.Data))
                    return d.RootElement.TryGetProperty("state", out var s) && s.GetString() == "failed" ? "job.failed" : null;
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
            using var d = JsonDocument.Parse(e.Data);
            var root = d.RootElement;
            string? S(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            var apps = S("app") is { } app ? new[] { app } : [];
            var targets = _notifier.Routed(evt, null, apps);
            if (targets.Count == 0) continue;
            var text = evt switch
            {
                "deploy.failed" => $"❌ Deploy failed: {S("subject") ?? $"{S("app")} {S("version")} in {S("environment")}"}" + (S("reason") is { } r ? $" — {r}" : ""),
                "approval.requested" => $"🙋 Approval requested by {e.Actor}: {S("subject") ?? $"{S("action")} {S("app")} {S("version")} to {S("environment")}"}. `approve {S("id")}` or `deny {S("id")}`.",
                "drift.detected" => $"🧭 Drift detected: {S("subject") ?? $"{S("app")} in {S("environment")} no longer matches the config repo"}",
                _ => $"💥 Job {S("job")} ({S("kind")}) failed: {S("summary")}",
            };
            var recipients = await _notifier.ExpandAsync(targets, null, ct);
            await _notifier.SendAsync(new Notice(evt, text, null, apps, new { source = e.Kind, seq = e.Seq, actor = e.Actor, data = root.Clone() }), recipients, ct);
            n++;
        }
        return n;
    }

    public void Dispose() => _ledger.Appended -= OnAppended;
}
