using Capstan.Core.Modules;
using Capstan.Core.Telemetry;
using Capstan.Web.Api;
using Capstan.Web.Metrics;
using Capstan.Web.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace Capstan.Web;

/// <summary>
/// Adds Capstan's web host to an ASP.NET Core application — sign-in, security headers, same-origin checks, the core
/// JSON API and event stream, /metrics and the embedded assets — and every web module's pages and endpoints.
/// </summary>
public static class WebHost
{
    public static IServiceCollection AddCapstanWeb(this IServiceCollection services, CapstanModules modules)
    {
        services.AddCapstanAuthentication();
        services.AddSingleton(new WebSite(modules.All));
        // A query value or body that cannot be bound is answered below with what was wrong, not an empty 400.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(CapstanMetrics.MeterName)
            .AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
            .AddPrometheusExporter());
        return services;
    }

    public static void MapCapstanWeb(this WebApplication app, CapstanModules modules)
    {
        app.Use(BrowserHeaders.AddAsync);
        app.Use(async (http, next) =>
        {
            try { await next(http); }
            catch (BadHttpRequestException ex) when (!http.Response.HasStarted)
            {
                http.Response.StatusCode = ex.StatusCode;
                var error = $"That request could not be read: {ex.Message}";
                if (http.Request.Path.StartsWithSegments("/api")) await http.Response.WriteAsJsonAsync(new { error });
                else await http.Response.WriteAsync(error);
            }
        });
        app.Use(SameOrigin.CheckAsync);
        app.UseAuthentication();
        app.UseAuthorization();
        app.Use(MetricsToken.CheckAsync);
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapChatApi();
        app.MapSignIn();
        app.MapAssets();
        foreach (var module in modules.All.OfType<IWebModule>()) module.MapEndpoints(app);
    }
}
