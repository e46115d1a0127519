using System.Text;
using Capstan.Core.Commands;
using Capstan.Core.Conversation;

namespace Capstan.Chat.Text;

/// <summary>
/// Turns a room message into the messages one platform posts: text escaped, a table as a code block, attachments as
/// links, split on line breaks under the platform's limit, and cut after <see cref="ChatMarkup.MaxParts"/> parts with a
/// link to the whole reply on the web UI.
/// </summary>
public static class ChatRendering
{
    /// <summary>The parts to post for <paramref name="m"/>; <paramref name="link"/> is where the whole message can be read.</summary>
    public static IReadOnlyList<string> Render(RoomMessage m, ChatMarkup markup, string? link, bool relayed = false)
    {
        var text = Attachment.AppendLinks(m.Text, m.Attachments);
        var blocks = new List<string>();
        if (text.Length > 0) blocks.Add(relayed ? markup.Relayed(m.Author, m.Platform ?? "web", text) : markup.Escape(text));
        if (m.Table is { } table) blocks.Add(markup.CodeBlock(table.ToText()));
        var whole = string.Join("\n", blocks);
        return Split(whole, markup, link);
    }

    /// <summary>Splits rendered text into parts the platform takes, cutting after the last allowed part.</summary>
    public static IReadOnlyList<string> Split(string text, ChatMarkup markup, string? link)
    {
        if (markup.Measure(text) <= markup.MaxLength) return [text];
        var parts = new List<string>();
        var cut = markup.Cut(link);
        var rest = text.AsSpan();
        while (rest.Length > 0)
        {
            var last = parts.Count == markup.MaxParts - 1;
            var room = markup.MaxLength - (last ? markup.Measure(cut) + 1 : 0);
            var take = Fit(rest, markup, room);
            if (take == rest.Length) { parts.Add(rest.ToString()); break; }
            if (last) { parts.Add(rest[..take].ToString().TrimEnd() + "\n" + cut); break; }
            parts.Add(rest[..take].ToString().TrimEnd());
            rest = rest[take..].TrimStart('\n');
        }
        return parts;
    }

    /// <summary>How many characters of <paramref name="text"/> fit in <paramref name="room"/>: up to the last line break that fits, else the last space, else as many whole characters as fit.</summary>
    private static int Fit(ReadOnlySpan<char> text, ChatMarkup markup, int room)
    {
        if (room <= 0) return 0;
        // The longest prefix that fits, found by halving (measure may count UTF-8 bytes).
        int lo = 0, hi = text.Length;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) / 2;
            if (markup.Measure(text[..mid].ToString()) <= room) lo = mid; else hi = mid - 1;
        }
        if (lo == text.Length) return lo;
        if (lo > 0 && char.IsHighSurrogate(text[lo - 1])) lo--;
        var newline = text[..lo].LastIndexOf('\n');
        if (newline > lo / 2) return newline + 1;
        var space = text[..lo].LastIndexOf(' ');
        return space > lo / 2 ? space + 1 : Math.Max(lo, 1);
    }

    /// <summary>UTF-8 byte count (for platforms whose limits are in bytes: IRC, Slack's 40,000).</summary>
    public static int Utf8Bytes(string text) => Encoding.UTF8.GetByteCount(text);
}
