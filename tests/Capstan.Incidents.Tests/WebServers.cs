using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Capstan.Core.Access;
using Capstan.Core.Config;
using Capstan.Core.Ledger;
using Capstan.Incidents.Alerts;
using Capstan.Incidents.Desk;
using Capstan.Incidents.Figures;
using Capstan.Incidents.Postmortems;
using Capstan.Incidents.Store;
using Capstan.Incidents.Timeline;
using Capstan.Web;
using Capstan.Web.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Capstan.Incidents.Tests;

/// <summary>The incidents module's endpoints (the Alertmanager hook, the JSON API) served over real HTTP on 127.0.0.1 for a test node.</summary>
public sealed class IncidentWeb : IAsyncDisposable
{
    private readonly WebApplication _app;
    public HttpClient Http { get; }

    private IncidentWeb(WebApplication app, string url)
    {
        _app = app;
        Http = new HttpClient { BaseAddress = new Uri(url) };
    }

    public static async Task<IncidentWeb> StartAsync(IncidentNode t)
    {
        var module = new IncidentsModule();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        // The endpoints use the test node's own instances; the site holds the module's pages (the postmortem).
        builder.Services.AddSingleton(t.Get<AccessTokens>()).AddSingleton(t.Get<ConfigState>()).AddSingleton(t.Get<Ledger>())
            .AddSingleton(t.Get<IIncidentStore>()).AddSingleton(t.Get<IncidentDesk>()).AddSingleton(t.Get<IncidentFigures>()).AddSingleton(t.Get<IncidentTimeline>())
            .AddSingleton(t.Get<PostmortemWriter>()).AddSingleton(t.Get<AlertIntake>())
            .AddSingleton(new WebSite([module])).AddCapstanAuthentication();
        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        module.MapEndpoints(app);
        await app.StartAsync();
        return new IncidentWeb(app, app.Urls.First());
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>A request a receiver got.</summary>
public sealed record Received(string Path, IReadOnlyDictionary<string, string> Headers, string Body);

/// <summary>A webhook receiver: a real HTTP server on 127.0.0.1 at a port chosen before it starts, so it can be down first and up later.</summary>
public sealed class Receiver : IAsyncDisposable
{
    private WebApplication? _app;
    public int Port { get; } = FreePort();
    public string Url => $"http://127.0.0.1:{Port}/hook";
    public ConcurrentQueue<Received> Requests { get; } = new();
    public int Status { get; set; } = 200;

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{Port}");
        _app = builder.Build();
        _app.MapPost("/hook", async (HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            Requests.Enqueue(new Received(http.Request.Path, http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body));
            return Results.StatusCode(Status);
        });
        await _app.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
