using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Capstan.Indicators.Tests;

/// <summary>
/// A real HTTP server on 127.0.0.1 for the tests: a JSON stats endpoint, a slow one, and Prometheus' HTTP API
/// (/api/v1/query and /api/v1/query_range, as documented at prometheus.io/docs/prometheus/latest/querying/api/).
/// </summary>
public sealed class LocalHttp : IAsyncDisposable
{
    private readonly WebApplication _app;
    public string Url { get; }
    public double P95 { get; set; } = 180;
    public List<string> PrometheusQueries { get; } = [];
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private LocalHttp(WebApplication app, string url) { _app = app; Url = url; }

    public static async Task<LocalHttp> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        LocalHttp? self = null;
        app.MapGet("/stats", () => Results.Json(new { data = new { latency = new[] { new { name = "p95", value = self!.P95 } } } }));
        app.MapGet("/broken", () => Results.Text("<html>oops</html>", "text/html", statusCode: 200));
        app.MapGet("/down", () => Results.StatusCode(503));
        app.MapGet("/slow", async (CancellationToken ct) =>
        {
            await self!._release.Task.WaitAsync(ct);
            return Results.Json(new { value = 1 });
        });
        app.MapGet("/api/v1/query", (string query, double time) =>
        {
            self!.PrometheusQueries.Add(query);
            return query == "bad("
                ? Results.Json(new { status = "error", errorType = "bad_data", error = "1:5: parse error: unclosed left parenthesis" }, statusCode: 400)
                : Results.Json(new { status = "success", data = new { resultType = "vector", result = new[] { new { metric = new { }, value = new object[] { time, "0.25" } } } } });
        });
        app.MapGet("/api/v1/query_range", (string query, double start, double end, int step) =>
        {
            var values = new List<object[]>();
            for (var (t, i) = (start, 0); t <= end; t += step, i++) values.Add([t, (0.1 + 0.01 * (i % 10)).ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            return Results.Json(new { status = "success", data = new { resultType = "matrix", result = new[] { new { metric = new { }, values } } } });
        });
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new LocalHttp(app, url);
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        _release.TrySetResult();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
