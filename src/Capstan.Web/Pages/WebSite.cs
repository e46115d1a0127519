using System.Net;
using System.Reflection;
using Capstan.Core.Modules;

namespace Capstan.Web;

/// <summary>
/// The web UI as the modules make it up, gathered once at start: the navigation bar, and every page and asset
/// embedded under a <c>wwwroot/</c> folder of the web host or of a web module, found by file name.
/// </summary>
public sealed class WebSite
{
    private const string Folder = ".wwwroot.";

    /// <summary>The bar at the top of every page: brand, navigation, who is signed in (filled in by app.js).</summary>
    private const string Header = """
        <header class="top">
          <span class="brand">⚓ Capstan</span>
          <nav><!--nav--></nav>
          <span class="me" id="me" hidden><span id="me-name" data-testid="me"></span><button id="new-token" type="button">New API token</button>
            <form method="post" action="/signout"><button type="submit">Sign out</button></form></span>
        </header>
        """;

    private readonly Dictionary<string, (Assembly Assembly, string Resource)> _files = new(StringComparer.OrdinalIgnoreCase);
    private readonly string _header;

    public WebSite(IEnumerable<ICapstanModule> modules)
    {
        var web = modules.OfType<IWebModule>().ToList();
        Navigation = [.. web.SelectMany(m => m.Navigation).OrderBy(l => l.Order)];
        _header = Header.Replace("<!--nav-->", string.Concat(Navigation.Select(n => $"<a href=\"{n.Path}\" data-nav=\"{n.Path}\">{WebUtility.HtmlEncode(n.Title)}</a>")), StringComparison.Ordinal);
        foreach (var assembly in web.Select(m => m.GetType().Assembly).Prepend(typeof(WebSite).Assembly).Distinct())
            foreach (var resource in assembly.GetManifestResourceNames())
            {
                var at = resource.IndexOf(Folder, StringComparison.Ordinal);
                if (at < 0) continue;
                var file = resource[(at + Folder.Length)..];
                // Assets share one URL space (/assets/FILE), so a second file of the same name would hide the first.
                if (_files.TryGetValue(file, out var first) && first.Assembly != assembly)
                    throw new InvalidOperationException($"Both {first.Assembly.GetName().Name} and {assembly.GetName().Name} embed the web file '{file}'; rename one of them.");
                _files[file] = (assembly, resource);
            }
    }

    /// <summary>The navigation bar's links, in order.</summary>
    public IReadOnlyList<NavigationLink> Navigation { get; }

    /// <summary>A page with the header and <c>&lt;!--name--&gt;</c> markers filled in, or null when no module has it.</summary>
    public string? Render(string file, IReadOnlyDictionary<string, string>? fill)
    {
        var text = Read(file);
        if (text is null) return null;
        foreach (var (name, html) in fill ?? new Dictionary<string, string>())
            text = text.Replace($"<!--{name}-->", html, StringComparison.Ordinal);
        return text.Replace("<!--header-->", _header, StringComparison.Ordinal);
    }

    /// <summary>An embedded file's text, or null when there is none of that name.</summary>
    public string? Read(string file)
    {
        if (!_files.TryGetValue(file, out var f)) return null;
        using var s = f.Assembly.GetManifestResourceStream(f.Resource)!;
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }
}
