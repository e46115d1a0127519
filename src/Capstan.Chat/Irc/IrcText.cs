using System.Text;

namespace Capstan.Chat.Irc;

/// <summary>
/// Turns Capstan's text into IRC lines: one line per line of text, each cut under the 512 bytes IRC allows counting the
/// <c>:nick!user@host PRIVMSG #chan :</c> prefix the server adds when relaying and the CR-LF, cut on UTF-8 character
/// boundaries (at a space when one is near). CR, LF and NUL never reach the wire: they would end the line and start a
/// command of the sender's choosing.
/// </summary>
public static class IrcText
{
    /// <summary>The most bytes of an IRC line without its CR-LF.</summary>
    public const int LineBytes = 510;

    /// <summary>The longest user and host a server may show for Capstan before it has seen its own mask.</summary>
    public const int UnknownUserHost = 10 + 1 + 63;

    /// <summary>How many bytes of text fit in one <c>PRIVMSG target :text</c> as the server relays it from <paramref name="selfMask"/>.</summary>
    public static int Budget(string selfMask, string command, string target) =>
        LineBytes - Encoding.UTF8.GetByteCount($":{selfMask} {command} {target} :");

    public static IReadOnlyList<string> Lines(string text, int budget)
    {
        var lines = new List<string>();
        foreach (var raw in text.Split('\n'))
        {
            var line = Clean(raw).TrimEnd();
            while (line.Length > 0)
            {
                var take = Fit(line, budget);
                lines.Add(line[..take].TrimEnd());
                line = line[take..].TrimStart(' ');
            }
        }
        return lines.Where(l => l.Length > 0).ToList();
    }

    /// <summary>Removes what would break the line or the protocol (CR, LF, NUL) and turns tabs into spaces.</summary>
    public static string Clean(string text) =>
        text.IndexOfAny(['\r', '\n', '\0', '\t']) < 0 ? text : text.Replace("\r", "").Replace("\n", " ").Replace("\0", "").Replace('\t', ' ');

    /// <summary>How many characters of <paramref name="line"/> fit in <paramref name="budget"/> UTF-8 bytes without cutting a character in two.</summary>
    private static int Fit(string line, int budget)
    {
        var bytes = 0;
        var i = 0;
        while (i < line.Length)
        {
            var width = char.IsHighSurrogate(line[i]) && i + 1 < line.Length ? 2 : 1;
            var size = Encoding.UTF8.GetByteCount(line.AsSpan(i, width));
            if (bytes + size > budget) break;
            bytes += size;
            i += width;
        }
        if (i == line.Length) return i;
        var space = line.LastIndexOf(' ', Math.Max(0, i - 1), i);
        return space > i / 2 ? space + 1 : Math.Max(i, 1);
    }
}
