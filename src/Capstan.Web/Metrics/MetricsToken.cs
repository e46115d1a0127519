using System.Security.Cryptography;
using System.Text;
using Capstan.Core.Config;
using Capstan.Core.Secrets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Capstan.Web.Metrics;

/// <summary>
/// Guards /metrics when capstan.yaml sets <c>metrics: { token: { secret: NAME } }</c>: the scraper must send
/// <c>Authorization: Bearer VALUE</c>. Without the setting /metrics stays open, as Prometheus expects by default.
/// </summary>
public static class MetricsToken
{
    public const string Path = "/metrics";

    public static async Task CheckAsync(HttpContext http, Func<Task> next)
    {
        if (!http.Request.Path.StartsWithSegments(Path)) { await next(); return; }
        var name = http.RequestServices.GetRequiredService<ConfigState>().Current.Find<MetricsConfig>()?.TokenSecret;
        if (name is null) { await next(); return; }
        var (expected, problem) = http.RequestServices.GetRequiredService<SecretStore>().Find(name);
        if (expected is null)
        {
            // Closed, not open, when the secret is missing: the operator asked for a token.
            await Write(http, StatusCodes.Status503ServiceUnavailable, $"/metrics requires a token, but {problem}.");
            return;
        }
        var auth = http.Request.Headers.Authorization.ToString();
        var given = auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? auth[7..].Trim() : "";
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(expected)))
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            await Write(http, StatusCodes.Status401Unauthorized, given.Length == 0
                ? $"/metrics requires a token: send `Authorization: Bearer VALUE` with the value of the secret '{name}' (in Prometheus: authorization: {{ credentials_file: … }})."
                : $"That token is not the value of the secret '{name}' that capstan.yaml's metrics.token names.");
            return;
        }
        await next();
    }

    private static Task Write(HttpContext http, int status, string message)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "text/plain; charset=utf-8";
        return http.Response.WriteAsync(message + "\n");
    }
}
