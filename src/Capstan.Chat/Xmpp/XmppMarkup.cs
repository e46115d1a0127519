using System.Text;
using Capstan.Chat.Text;

namespace Capstan.Chat.Xmpp;

/// <summary>
/// Plain XMPP message bodies: no markup to escape (bodies are text; clients with message styling show ``` blocks as
/// fixed-width), room-wide mentions defused, and characters XML cannot carry (NUL, most control characters, lone
/// surrogates) removed so people's text can never break the stream.
/// </summary>
public sealed class XmppMarkup : ChatMarkup
{
    /// <summary>Servers take far more, but clients show long bodies badly; longer replies are split and cut with a link.</summary>
    public override int MaxLength => 4000;

    public override string Escape(string text) => DefuseRoomMentions(XmlSafe(text));

    public override string CodeBlock(string text) => "```\n" + Escape(text).Replace("```", "`\u200B``", StringComparison.Ordinal) + "\n```";

    /// <summary>The text without the characters XML 1.0 forbids.</summary>
    public static string XmlSafe(string text)
    {
        var b = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { b.Append(c).Append(text[++i]); continue; }
            if (c is '\t' or '\n' or '\r' || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD)) b.Append(c);
        }
        return b.ToString();
    }
}
