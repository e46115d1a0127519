using System.Net;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Capstan.Web;

/// <summary>The web UI's pages and assets, embedded in the assembly (no front-end build step).</summary>
public static class Pages
{
    private static readonly Assembly Self = typeof(Pages).Assembly;
    private static readonly Dictionary<string, string> Types = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".svg"] = "image/svg+xml",
    };

    /// <summary>The bar at the top of every page: brand, navigation, who is signed in (filled in by app.js).</summary>
    private const string Header = """
        <header class="top">
          <span class="brand">⚓ Capstan</span>
          <nav><!--nav--></nav>
          <span class="me" id="me" hidden><span id="me-name" data-testid="me"></span><button id="new-token" type="button">New API token</button>
            <form method="post" action="/signout"><button type="submit">Sign out</button></form></span>
        </header>
        """;

    /// <summary>Pages other modules add to the navigation bar (path, title).</summary>
    public static readonly List<(string Path, string Title)> Navigation = [("/", "Chat"), ("/ledger", "Ledger")];

    public static void MapPages(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => Page("chat.html"));
        app.MapGet("/ledger", () => Page("ledger.html"));
        app.MapGet("/assets/{file}", (string file) => Asset(file));
    }

    /// <summary>Serves an embedded page from any assembly's wwwroot (modules ship their own pages).</summary>
    public static IResult Page(string file, Assembly? assembly = null) => Page(file, null, assembly);

    /// <summary>Serves an embedded page with <c>&lt;!--name--&gt;</c> markers replaced by ready-made HTML.</summary>
    public static IResult Page(string file, IReadOnlyDictionary<string, string>? fill, Assembly? assembly = null)
    {
        var text = Read(file, assembly ?? Self);
        if (text is null) return Results.NotFound();
        foreach (var (name, html) in fill ?? new Dictionary<string, string>())
            text = text.Replace($"<!--{name}-->", html, StringComparison.Ordinal);
        var nav = string.Join("", Navigation.Select(n => $"<a href=\"{n.Path}\" data-nav=\"{n.Path}\">{WebUtility.HtmlEncode(n.Title)}</a>"));
        return Results.Content(text.Replace("<!--header-->", Header.Replace("<!--nav-->", nav, StringComparison.Ordinal), StringComparison.Ordinal), Types[".html"]);
    }

    public static IResult Asset(string file, Assembly? assembly = null)
    {
        if (file.Contains("..", StringComparison.Ordinal) || file.Contains('/')) return Results.NotFound();
        var text = Read(file, assembly ?? Self) ?? (assembly is null ? null : Read(file, Self));
        return text is null ? Results.NotFound() : Results.Content(text, Types.GetValueOrDefault(Path.GetExtension(file), "text/plain"));
    }

    /// <summary>A small standalone page with a title and a sentence.</summary>
    public static string Message(string title, string text) =>
        $"<!doctype html><html><head><meta charset=utf-8><title>{WebUtility.HtmlEncode(title)} · Capstan</title><link rel=stylesheet href=/assets/app.css></head>" +
        $"<body><main class=notice><h1>{WebUtility.HtmlEncode(title)}</h1><p>{WebUtility.HtmlEncode(text)}</p><p><a href=/>Back to Capstan</a></p></main></body></html>";

    private static string? Read(string file, Assembly assembly)
    {
        var name = assembly.GetManifestResourceNames().FirstOrDefault(n => n.EndsWith(".wwwroot." + file, StringComparison.OrdinalIgnoreCase));
        if (name is null) return null;
        using var s = assembly.GetManifestResourceStream(name)!;
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }
}
