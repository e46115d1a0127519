using System.Net.Sockets;
using Capstan.Delivery.Apps;
using Microsoft.Extensions.DependencyInjection;

namespace Capstan.Delivery.Targets;

/// <summary>Checks an app's health over HTTP: GET the path, expect the status, within the probe timeout.</summary>
public sealed class HealthProbe(IHttpClientFactory clients)
{
    /// <summary>The named HTTP client of health checks (registered by AddDelivery).</summary>
    public const string Client = "delivery.health";

    /// <summary>
    /// Adds the health checks' client: no proxy, no redirects, no request logging. Not egress-checked: it reaches only
    /// the address the target started the app on, never one a person typed.
    /// </summary>
    public static IHttpClientBuilder Register(IServiceCollection services) =>
        services.AddHttpClient(Client, c => c.Timeout = Timeout.InfiniteTimeSpan) // each check has the app's own timeout
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(1), UseProxy = false, AllowAutoRedirect = false })
            .RemoveAllLoggers();

    public async Task<HealthReading> CheckAsync(string baseUrl, HealthSpec health, CancellationToken ct)
    {
        if (health.Path is null) return new HealthReading(HealthState.Healthy, "running (health is process liveness)");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(health.Timeout);
        var what = $"GET {health.Path}";
        try
        {
            using var response = await clients.CreateClient(Client).GetAsync(baseUrl + health.Path, HttpCompletionOption.ResponseContentRead, timeout.Token);
            var body = (await response.Content.ReadAsStringAsync(timeout.Token)).Trim();
            if (body.Length > 200) body = body[..200] + "…";
            var status = (int)response.StatusCode;
            var detail = $"{what} → {status}{(body.Length > 0 ? ": " + body : "")}";
            return new HealthReading(status == health.ExpectStatus ? HealthState.Healthy : HealthState.Degraded, detail);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new HealthReading(HealthState.Degraded, $"{what} did not answer within {Sentences.Took(health.Timeout)}");
        }
        catch (HttpRequestException ex)
        {
            var reason = ex.InnerException is SocketException se ? se.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => "connection refused (nothing listens on the port yet)",
                _ => se.Message,
            } : ex.Message;
            return new HealthReading(HealthState.Degraded, $"{what}: {reason}");
        }
    }
}
