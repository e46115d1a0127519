using System.Globalization;
using System.Text;

namespace Capstan.Cli;

/// <summary>
/// Text from other people, apps and remote systems as a terminal may show it: control characters become visible
/// marks instead of acting. ESC (the start of colour, cursor, title and clipboard sequences) prints as <c>^[</c>,
/// other C0 controls as <c>^G</c>, <c>^H</c>…, DEL as <c>^?</c>, C1 controls (CSI, OSC…) as <c>\x9b</c>, and
/// bidirectional overrides that reorder what is shown as <c>&lt;U+202E&gt;</c>. Line breaks and tabs stay.
/// </summary>
public static class VisibleText
{
    /// <summary>The text with every character that could steer the terminal shown, not obeyed.</summary>
    public static string Of(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        if (!text.Any(NeedsShowing)) return text;
        var b = new StringBuilder(text.Length + 16);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') continue; // CRLF is a line break, not a carriage return
            if (!NeedsShowing(c)) { b.Append(c); continue; }
            if (c < 0x20) b.Append('^').Append((char)(c + 0x40));
            else if (c == 0x7f) b.Append("^?");
            else if (c <= 0x9f) b.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            else b.Append("<U+").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture)).Append('>');
        }
        return b.ToString();
    }

    private static bool NeedsShowing(char c) =>
        (c < 0x20 && c is not '\n' and not '\t') || (c >= 0x7f && c <= 0x9f) ||
        c is '\u061c' or '\u200e' or '\u200f' or (>= '\u202a' and <= '\u202e') or (>= '\u2066' and <= '\u2069');
}
