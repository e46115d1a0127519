using Microsoft.Extensions.DependencyInjection;

namespace Capstan.Core.Egress;

/// <summary>
/// Registers a named <see cref="HttpClient"/> (IHttpClientFactory) whose every connection goes through the
/// <see cref="EgressGuard"/>: the guard's handler is the primary handler, so the first request and each redirect the
/// caller follows connect only where the egress rules allow. One name per purpose (webhooks, runbook http steps,
/// downloads, indicator sources) so each keeps its own timeout and connection pool.
/// </summary>
public static class EgressHttpClients
{
    /// <summary>
    /// Adds the named client. It follows no redirects (the caller does, one hop at a time, deciding which headers go
    /// along) and has the factory's request logging removed: a URL can carry a token the logs must not show.
    /// </summary>
    public static IHttpClientBuilder AddEgressHttpClient(this IServiceCollection services, string name, TimeSpan timeout) =>
        services.AddHttpClient(name, c => c.Timeout = timeout)
            .ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredService<EgressGuard>().Handler())
            .RemoveAllLoggers();
}
