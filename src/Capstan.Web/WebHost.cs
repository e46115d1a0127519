using Capstan.Core.Telemetry;
using Capstan.Web.Api;
using Capstan.Web.Dashboard;
using Capstan.Web.Incidents;
using Capstan.Web.Indicators;
using Capstan.Web.JobPages;
using Capstan.Web.Metrics;
using Capstan.Web.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace Capstan.Web;

/// <summary>Adds Capstan's web UI, JSON API and /metrics to an ASP.NET Core application.</summary>
public static class WebHost
{
    public static IServiceCollection AddCapstanWeb(this IServiceCollection services)
    {
        services.AddCapstanAuthentication();
        // A query value or body that cannot be bound is answered below with what was wrong, not an empty 400.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(CapstanMetrics.MeterName)
            .AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
            .AddPrometheusExporter());
        return services;
    }

    public static void MapCapstanWeb(this WebApplication app)
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
        app.MapPages();
        app.MapDashboard();
        app.MapJobs();
        app.MapIncidents();
        app.MapIndicators();
    }
}
