using Microsoft.AspNetCore.Http;

namespace Capstan.Web.Security;

/// <summary>
/// Headers on every answer that tell the browser to run only Capstan's own script files: a strict
/// Content-Security-Policy (no inline script, handler or style; nothing from other sites; no framing), no MIME
/// sniffing, and no full address in the Referer sent to other sites.
/// </summary>
public static class BrowserHeaders
{
    /// <summary>The policy sent with every page; a script injected into a page's text cannot run under it.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; frame-src 'none'; frame-ancestors 'none'; form-action 'self'";

    /// <summary>Adds the headers before the answer starts.</summary>
    public static Task AddAsync(HttpContext http, Func<Task> next)
    {
        http.Response.OnStarting(() =>
        {
            var h = http.Response.Headers;
            h.ContentSecurityPolicy = ContentSecurityPolicy;
            h.XContentTypeOptions = "nosniff";
            h.XFrameOptions = "DENY";
            h["Referrer-Policy"] = "same-origin";
            return Task.CompletedTask;
        });
        return next();
    }
}
