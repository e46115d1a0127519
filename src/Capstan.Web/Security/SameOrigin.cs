using Capstan.Core.Jobs;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Capstan.Web.Security;

/// <summary>
/// Refuses a state change (POST, PUT, PATCH, DELETE) that a browser sends with the session cookie from a page that is
/// not Capstan's own: another site, or another port on the same host, cannot make a signed-in person's browser create
/// tokens, post messages or sign out. Requests with a bearer token (the CLI, scripts) carry no ambient cookie and
/// are not affected.
/// </summary>
public static class SameOrigin
{
    /// <summary>Answers 403 with the reason when a cookie-authenticated state change comes from another origin.</summary>
    public static async Task CheckAsync(HttpContext http, Func<Task> next)
    {
        var reason = Refusal(http);
        if (reason is null) { await next(); return; }
        http.Response.StatusCode = StatusCodes.Status403Forbidden;
        if (http.Request.Path.StartsWithSegments("/api")) await http.Response.WriteAsJsonAsync(new { error = reason });
        else await Microsoft.AspNetCore.Http.Results.Content(Pages.Message("Request refused", reason), "text/html; charset=utf-8", statusCode: 403).ExecuteAsync(http);
    }

    /// <summary>Why the request is refused, or null when it may go ahead.</summary>
    public static string? Refusal(HttpContext http)
    {
        var r = http.Request;
        if (HttpMethods.IsGet(r.Method) || HttpMethods.IsHead(r.Method) || HttpMethods.IsOptions(r.Method) || HttpMethods.IsTrace(r.Method)) return null;
        if (!r.Cookies.ContainsKey(Api.Caller.SessionCookie) || r.Headers.Authorization.Count > 0) return null;
        var own = OwnOrigins(http);
        var site = r.Headers["Sec-Fetch-Site"].ToString();
        var origin = r.Headers.Origin.ToString();
        if (site.Length > 0 && !string.Equals(site, "same-origin", StringComparison.OrdinalIgnoreCase))
            return $"This request came from another site or port (Sec-Fetch-Site: {site}); Capstan accepts changes made with your browser session only from its own pages at {own[0]}. " +
                "Scripts and tools should send `Authorization: Bearer TOKEN` instead.";
        if (origin.Length > 0 && !own.Contains(origin.TrimEnd('/'), StringComparer.OrdinalIgnoreCase))
            return $"This request came from {origin}, not from Capstan's own pages at {own[0]}; changes made with your browser session are accepted only from there. " +
                "Scripts and tools should send `Authorization: Bearer TOKEN` instead.";
        if (site.Length == 0 && origin.Length == 0)
            return "This request carries the browser session cookie but says nothing of where it came from (no Origin or Sec-Fetch-Site header), so Capstan cannot tell it was made by its own pages. " +
                "Use a current browser, or send `Authorization: Bearer TOKEN` from scripts and tools.";
        return null;
    }

    private static List<string> OwnOrigins(HttpContext http)
    {
        var own = new List<string> { $"{http.Request.Scheme}://{http.Request.Host}" };
        // Behind a proxy the pages are opened at the public address (--public-url), which may not be the Host Capstan sees.
        if (http.RequestServices.GetService<JobRunner>()?.WebAddress is { } web && Uri.TryCreate(web, UriKind.Absolute, out var u))
            own.Add(u.GetLeftPart(UriPartial.Authority));
        return own;
    }
}
