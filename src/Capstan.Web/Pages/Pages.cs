using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Capstan.Web;

/// <summary>The web UI's pages and assets, embedded in the host's and the modules' assemblies (no front-end build step).</summary>
public static class Pages
{
    private const string Html = "text/html; charset=utf-8";
    private static readonly Dictionary<string, string> Types = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = Html,
        [".css"] = "text/css; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".svg"] = "image/svg+xml",
    };

    /// <summary>Serves every embedded file of the host and the web modules at <c>/assets/FILE</c>.</summary>
    public static void MapAssets(this IEndpointRouteBuilder app) => app.MapGet("/assets/{file}", (string file, WebSite site) => Asset(file, site));

    /// <summary>Serves an embedded page (from the host or any web module) with the navigation bar filled in.</summary>
    public static IResult Page(string file) => Page(file, null);

    /// <summary>Serves an embedded page with <c>&lt;!--name--&gt;</c> markers replaced by ready-made HTML.</summary>
    public static IResult Page(string file, IReadOnlyDictionary<string, string>? fill) => new PageResult(file, fill);

    /// <summary>A small standalone page with a title and a sentence.</summary>
    public static string Message(string title, string text) =>
        $"<!doctype html><html><head><meta charset=utf-8><title>{WebUtility.HtmlEncode(title)} · Capstan</title><link rel=stylesheet href=/assets/app.css></head>" +
        $"<body><main class=notice><h1>{WebUtility.HtmlEncode(title)}</h1><p>{WebUtility.HtmlEncode(text)}</p><p><a href=/>Back to Capstan</a></p></main></body></html>";

    private static IResult Asset(string file, WebSite site)
    {
        if (file.Contains("..", StringComparison.Ordinal) || file.Contains('/')) return Results.NotFound();
        var text = site.Read(file);
        return text is null ? Results.NotFound() : Results.Content(text, Types.GetValueOrDefault(Path.GetExtension(file), "text/plain"));
    }

    /// <summary>A page rendered when it is sent, with the navigation bar of the site the request came to.</summary>
    private sealed class PageResult(string file, IReadOnlyDictionary<string, string>? fill) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            var page = http.RequestServices.GetRequiredService<WebSite>().Render(file, fill);
            return (page is null ? Results.NotFound() : Results.Content(page, Html)).ExecuteAsync(http);
        }
    }
}
