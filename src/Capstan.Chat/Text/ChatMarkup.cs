using System.Text;

namespace Capstan.Chat.Text;

/// <summary>
/// How Capstan's text is written on one platform. Capstan's replies use a small Markdown subset (<c>`code`</c> spans and
/// tables); people's text inside them (arguments echoed back, messages relayed from another platform) must never ping a
/// whole room or turn into markup. Each platform derives one of these; <see cref="ChatRendering"/> uses it.
/// </summary>
public abstract class ChatMarkup
{
    /// <summary>The longest message the platform takes, in UTF-8 bytes or characters as <see cref="Measure"/> counts.</summary>
    public abstract int MaxLength { get; }

    /// <summary>How many messages one reply may become before the rest is cut with a link to the web UI.</summary>
    public virtual int MaxParts => 4;

    /// <summary>The size of a text as the platform counts it against <see cref="MaxLength"/> (characters by default).</summary>
    public virtual int Measure(string text) => text.Length;

    /// <summary>
    /// Makes Capstan's text safe to post: nothing in it can mention a whole room (<c>@channel</c>, <c>@here</c>,
    /// <c>@room</c>, <c>@everyone</c>, <c>@all</c>) or a person by the platform's mention syntax, and nothing is markup except
    /// the code spans Capstan meant.
    /// </summary>
    public abstract string Escape(string text);

    /// <summary>A block of fixed-width text (tables, logs); <paramref name="text"/> is not escaped yet.</summary>
    public abstract string CodeBlock(string text);

    /// <summary>Who said a message relayed from another place (<c>bob (web): deploy api</c>).</summary>
    public virtual string Relayed(string author, string? place, string text) => Escape($"{author}{(place is null ? "" : $" ({place})")}: {text}");

    /// <summary>The note that ends a reply cut short.</summary>
    public virtual string Cut(string? link) => Escape(link is null ? "… (cut: the rest is in the ledger)" : $"… (cut: the whole reply is at {link})");

    /// <summary>
    /// Puts a zero-width joiner after the '@' of room-wide mentions, so they read the same but notify no one. Every
    /// platform's <see cref="Escape"/> applies it on top of its own escaping.
    /// </summary>
    public static string DefuseRoomMentions(string text)
    {
        if (text.IndexOf('@') < 0) return text;
        var b = new StringBuilder(text.Length + 8);
        for (var i = 0; i < text.Length; i++)
        {
            b.Append(text[i]);
            if (text[i] == '@' && RoomWide.Any(w => string.Compare(text, i + 1, w, 0, w.Length, StringComparison.OrdinalIgnoreCase) == 0))
                b.Append('\u2060');
        }
        return b.ToString();
    }

    private static readonly string[] RoomWide = ["channel", "here", "room", "everyone", "all"];
}

/// <summary>Plain text with no markup at all: code blocks are the text itself (used where a platform has no formatting).</summary>
public sealed class PlainMarkup(int maxLength) : ChatMarkup
{
    public override int MaxLength => maxLength;
    public override string Escape(string text) => DefuseRoomMentions(text);
    public override string CodeBlock(string text) => Escape(text);
}
