using System.Text;

namespace Capstan.Chat.Irc;

/// <summary>One line from an IRC server, parsed: IRCv3 tags, the prefix (<c>nick!user@host</c> or a server), the command and its parameters.</summary>
public sealed record IrcMessage(IReadOnlyDictionary<string, string> Tags, string? Prefix, string Command, IReadOnlyList<string> Params)
{
    /// <summary>The nick of the prefix (<c>bob</c> of <c>bob!~bob@host</c>), or the server's name.</summary>
    public string? Nick => Prefix is null ? null : Prefix.IndexOf('!') is var bang and > 0 ? Prefix[..bang] : Prefix;

    public string Param(int i) => i < Params.Count ? Params[i] : "";

    public string? Tag(string name) => Tags.TryGetValue(name, out var v) ? v : null;

    public static IrcMessage Parse(string line)
    {
        var rest = line.AsSpan().TrimEnd("\r\n");
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        if (rest.StartsWith("@"))
        {
            var end = rest.IndexOf(' ');
            var tagText = end < 0 ? rest[1..] : rest[1..end];
            foreach (var tag in tagText.ToString().Split(';', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = tag.IndexOf('=');
                tags[eq < 0 ? tag : tag[..eq]] = eq < 0 ? "" : Unescape(tag[(eq + 1)..]);
            }
            rest = end < 0 ? [] : rest[(end + 1)..].TrimStart(' ');
        }
        string? prefix = null;
        if (rest.StartsWith(":"))
        {
            var end = rest.IndexOf(' ');
            prefix = (end < 0 ? rest[1..] : rest[1..end]).ToString();
            rest = end < 0 ? [] : rest[(end + 1)..].TrimStart(' ');
        }
        var parameters = new List<string>();
        string command = "";
        var first = true;
        while (rest.Length > 0)
        {
            if (!first && rest[0] == ':') { parameters.Add(rest[1..].ToString()); break; }
            var end = rest.IndexOf(' ');
            var word = (end < 0 ? rest : rest[..end]).ToString();
            if (first) command = word.ToUpperInvariant(); else parameters.Add(word);
            first = false;
            rest = end < 0 ? [] : rest[(end + 1)..].TrimStart(' ');
        }
        return new IrcMessage(tags, prefix, command, parameters);
    }

    /// <summary>Tag values escape ';', space, '\', CR and LF (IRCv3 message-tags).</summary>
    private static string Unescape(string value)
    {
        if (!value.Contains('\\')) return value;
        var b = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] != '\\' || i + 1 == value.Length) { if (value[i] != '\\') b.Append(value[i]); continue; }
            b.Append(value[++i] switch { ':' => ';', 's' => ' ', 'r' => '\r', 'n' => '\n', var c => c });
        }
        return b.ToString();
    }
}

/// <summary>What IRC allows as nicks and channel names, and how it compares them.</summary>
public static class IrcNick
{
    public static bool Valid(string nick) =>
        nick.Length is > 0 and <= 30 && (char.IsAsciiLetter(nick[0]) || "[]\\`^{}_|".Contains(nick[0]))
        && nick.All(c => char.IsAsciiLetterOrDigit(c) || "-[]\\`^{}_|".Contains(c));

    public static bool IsChannel(string target) => target.Length > 1 && target[0] is '#' or '&' or '+' or '!' && !target.Any(c => c is ' ' or ',' or '\a' or '\r' or '\n' or '\0');

    public static bool Same(string? a, string? b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    /// <summary>The nick to try after <paramref name="taken"/> was refused as in use (433): capstan → capstan_ → capstan_2 …</summary>
    public static string Alternative(string configured, int attempt) =>
        attempt == 1 ? configured + "_" : configured[..Math.Min(configured.Length, 27)] + "_" + attempt.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
