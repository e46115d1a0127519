using Ganss.Xss;

namespace Capstan.Web.Security;

/// <summary>
/// Cleans HTML rendered from text people, apps or Git wrote (a postmortem's Markdown) before a page shows it: no
/// script, event handler, style or frame survives, and links and images may only use http, https, mailto or a
/// relative address, so a <c>[link](javascript:…)</c> in an incident note is shown without its address.
/// </summary>
public static class SafeHtml
{
    private static readonly HtmlSanitizer Sanitizer = Create();

    /// <summary>The HTML with everything that could run, load from elsewhere or restyle the page removed.</summary>
    public static string Clean(string html) => Sanitizer.Sanitize(html);

    private static HtmlSanitizer Create()
    {
        var s = new HtmlSanitizer();
        s.AllowedSchemes.Clear();
        foreach (var scheme in new[] { "http", "https", "mailto" }) s.AllowedSchemes.Add(scheme);
        // Inline style is refused by the Content-Security-Policy anyway; dropping it keeps the page's own look.
        s.AllowedAttributes.Remove("style");
        s.AllowedTags.Remove("form");
        s.AllowDataAttributes = false;
        return s;
    }
}
