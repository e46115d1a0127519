using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Conversation;
using Capstan.Core.Egress;
using Capstan.Core.Ledger;
using Capstan.Incidents.Config;
using Capstan.Incidents.Store;

namespace Capstan.Incidents.Notify;

/// <summary>
/// The durable queue of notifications that cannot go out at once: webhook calls (retried with exponential
/// backoff until the receiver answers 2xx, so none is lost across failures or restarts) and direct messages held
/// for someone's quiet hours. Enqueuing never waits for a receiver; a background pass delivers. Webhook calls reach
/// only what the egress rules allow (checked on every connection) and follow no redirect.
/// </summary>
public sealed class DeliveryQueue(IIncidentStore store, ConfigState config, Outbox outbox, RoomDirectory rooms, Ledger ledger, IHttpClientFactory clients, TimeProvider clock)
{
    /// <summary>The named HTTP client of webhook calls (egress-checked, 10 s; registered by AddIncidents).</summary>
    public const string Client = "incidents.webhooks";

    public const string SignatureHeader = "X-Capstan-Signature";
    public static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan LongestRetry = TimeSpan.FromMinutes(10);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SemaphoreSlim _kick = new(0, 1);

    /// <summary>Raised after a delivery changed state (for the web UI).</summary>
    public event Action<long>? Changed;

    /// <summary>Adds a notification; it goes out at <paramref name="due"/> or as soon as possible after.</summary>
    public async Task<long> EnqueueAsync(string channel, string target, string evt, string body, DateTimeOffset due, CancellationToken ct)
    {
        var id = await store.EnqueueAsync(channel, target, evt, body, clock.GetUtcNow(), due, ct);
        Kick();
        return id;
    }

    /// <summary>Wakes the background pass now instead of at its next tick.</summary>
    public void Kick()
    {
        if (_kick.CurrentCount == 0) try { _kick.Release(); } catch (SemaphoreFullException) { }
    }

    /// <summary>Waits until kicked or the interval passes.</summary>
    public async Task WaitAsync(TimeSpan interval, CancellationToken ct)
    {
        try { await _kick.WaitAsync(interval, ct); }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { }
    }

    /// <summary>How long to wait after the n-th failed attempt: 5 s, 10 s, 20 s … capped at 10 minutes.</summary>
    public static TimeSpan Backoff(int attempts) =>
        TimeSpan.FromTicks(Math.Min(LongestRetry.Ticks, FirstRetry.Ticks * (1L << Math.Min(attempts - 1, 20))));

    /// <summary>Delivers everything due now; returns how many went out.</summary>
    public async Task<int> DeliverDueAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var sent = 0;
            var settings = config.Current.Find<IncidentsConfig>() ?? IncidentsSection.Default;
            foreach (var d in await store.DueAsync(clock.GetUtcNow(), 100, ct))
            {
                var error = d.Channel == QueuedNotification.Direct ? await DirectAsync(d) : await PostAsync(d, settings, ct);
                var attempts = d.Attempts + 1;
                if (error is null)
                {
                    await store.DeliveredAsync(d.Id, attempts, clock.GetUtcNow(), ct);
                    await ledger.AppendAsync("notification.delivered", "capstan", null, null, new { delivery = d.Id, channel = d.Channel, target = d.Target, @event = d.Event, attempts });
                    sent++;
                }
                else
                {
                    var next = clock.GetUtcNow() + Backoff(attempts);
                    await store.RetryLaterAsync(d.Id, attempts, next, error, ct);
                    await ledger.AppendAsync("notification.retry", "capstan", null, null, new { delivery = d.Id, channel = d.Channel, target = d.Target, @event = d.Event, attempts, error, next });
                }
                Changed?.Invoke(d.Id);
            }
            return sent;
        }
        finally { _gate.Release(); }
    }

    private async Task<string?> DirectAsync(QueuedNotification d)
    {
        var room = Notifier.DirectRoom(d.Target);
        if (!rooms.Exists(room)) rooms.Open(room, $"Direct messages from Capstan to {d.Target}");
        await outbox.PostAsync(room, null, new Reply(d.Body + "\n(held during your quiet hours)", ReplyTone.Info));
        return null;
    }

    private async Task<string?> PostAsync(QueuedNotification d, IncidentsConfig settings, CancellationToken ct)
    {
        if (!settings.Webhooks.TryGetValue(d.Target, out var hook))
            return $"webhook '{d.Target}' is no longer in capstan.yaml (notifications.webhooks); restore it and the delivery goes out";
        using var request = new HttpRequestMessage(HttpMethod.Post, hook.Url) { Content = new StringContent(d.Body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Capstan-Event", d.Event);
        request.Headers.Add("X-Capstan-Delivery", d.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (hook.Secret is { } secret) request.Headers.Add(SignatureHeader, Sign(secret, d.Body));
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("Capstan", "1.0"));
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            using var response = await clients.CreateClient(Client).SendAsync(request, timeout.Token);
            return response.IsSuccessStatusCode ? null : $"{hook.Url.Host} answered {(int)response.StatusCode} {response.ReasonPhrase}";
        }
        catch (HttpRequestException ex) when (EgressGuard.Refusal(ex) is { } refused) { return $"webhook '{d.Target}': {refused.Message}"; }
        catch (HttpRequestException ex) { return $"{hook.Url.Host}:{hook.Url.Port} could not be reached ({ex.Message})"; }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { return $"{hook.Url.Host} did not answer within 10 s"; }
    }

    /// <summary>The signature header's value: <c>sha256=</c> and the hex HMAC-SHA256 of the body with the webhook's secret.</summary>
    public static string Sign(string secret, string body) => Sign(secret, Encoding.UTF8.GetBytes(body));

    /// <summary>The same signature over raw bytes (what an incoming delivery's body is checked against).</summary>
    public static string Sign(string secret, ReadOnlySpan<byte> body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
}
