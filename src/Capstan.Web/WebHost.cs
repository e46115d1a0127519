using Capstan.Core.Telemetry;
using Capstan.Web.Api;
using Capstan.Web.Dashboard;
using Capstan.Web.Incidents;
using Capstan.Web.Indicators;
using Capstan.Web.JobPages;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace Capstan.Web;

/// <summary>Adds Capstan's web UI, JSON API and /metrics to an ASP.NET Core application.</summary>
public static class WebHost
{
    public static IServiceCollection AddCapstanWeb(this IServiceCollection services)
    {
        services.AddSingleton<CallerResolver>();
        services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(CapstanMetrics.MeterName)
            .AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
            .AddPrometheusExporter());
        return services;
    }

    public static void MapCapstanWeb(this WebApplication app)
    {
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
