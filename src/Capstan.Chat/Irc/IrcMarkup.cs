using System.Text;
using Capstan.Chat.Text;

namespace Capstan.Chat.Irc;

/// <summary>
/// IRC text: no markup, so nothing to escape but the control characters that are IRC's formatting (bold \x02, colour \x03,
/// italics \x1d, reset \x0f, reverse \x16, underline \x1f) and CTCP (\x01): people's text echoed back keeps its letters and
/// loses those, so it can neither restyle Capstan's answer nor make it a CTCP request. Lengths are in UTF-8 bytes; the
/// adapter cuts each part into lines under 512 bytes.
/// </summary>
public sealed class IrcMarkup : ChatMarkup
{
    public override int MaxLength => 1600;
    public override int MaxParts => 3;
    public override int Measure(string text) => ChatRendering.Utf8Bytes(text);

    public override string Escape(string text)
    {
        var b = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is '\n') b.Append(c);
            else if (c is '\t') b.Append(' ');
            else if (c is '\u0003') i = SkipColour(text, i);
            else if (!char.IsControl(c)) b.Append(c);
        }
        return DefuseRoomMentions(b.ToString());
    }

    /// <summary>A colour code is \x03 with up to two digits, then optionally a comma and up to two digits: all of it goes.</summary>
    private static int SkipColour(string text, int at)
    {
        var i = Digits(text, at + 1);
        if (i > at + 1 && i + 1 < text.Length && text[i] == ',' && char.IsAsciiDigit(text[i + 1])) i = Digits(text, i + 1);
        return i - 1;
    }

    private static int Digits(string text, int from)
    {
        var i = from;
        while (i < text.Length && i < from + 2 && char.IsAsciiDigit(text[i])) i++;
        return i;
    }

    public override string CodeBlock(string text) => Escape(text);
}
