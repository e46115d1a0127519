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
        foreach (var c in text)
        {
            if (c is '\n') b.Append(c);
            else if (c is '\t') b.Append(' ');
            else if (!char.IsControl(c)) b.Append(c);
        }
        return DefuseRoomMentions(b.ToString());
    }

    public override string CodeBlock(string text) => Escape(text);
}
