using System.Text;
using System.Text.RegularExpressions;
using Capstan.Chat.Text;

namespace Capstan.Chat.Mattermost;

/// <summary>
/// Capstan's text in Mattermost's Markdown. Outside Capstan's <c>`code`</c> spans every character Markdown reads
/// (<c>* _ ~ [ ] # &gt; &lt; | \</c> and stray backticks) is escaped with a backslash, so text people wrote (echoed in a
/// reply, relayed from another platform) shows as written and never becomes a link, a heading or emphasis; every
/// <c>@name</c> gets a word joiner after the <c>@</c>, so it reads the same but pings no one (not <c>@channel</c>,
/// <c>@here</c>, <c>@all</c>, nor a person). The limit is the server's <c>MaxPostSize</c> (16,383 characters by default).
/// </summary>
public sealed partial class MattermostMarkup : ChatMarkup
{
    /// <summary>Mattermost's post length since 5.0 when the server does not say otherwise.</summary>
    public const int DefaultLimit = 16_383;

    private volatile int _limit = DefaultLimit;

    public override int MaxLength => _limit;

    /// <summary>Takes the server's <c>MaxPostSize</c> (read from its client configuration at connect).</summary>
    public void UseLimit(int characters) => _limit = characters is >= 1_000 and <= 1_000_000 ? characters : DefaultLimit;

    public override string Escape(string text)
    {
        var b = new StringBuilder(text.Length + 16);
        var at = 0;
        foreach (Match span in CodeSpans().Matches(text))
        {
            EscapeInto(b, text.AsSpan(at, span.Index - at));
            b.Append(Defuse(span.Value));
            at = span.Index + span.Length;
        }
        EscapeInto(b, text.AsSpan(at));
        return b.ToString();
    }

    /// <summary>Tables and logs in a fenced block; a fence inside the text is broken so it cannot close the block early.</summary>
    public override string CodeBlock(string text) => "```\n" + Defuse(text.Replace("```", "`\u200b``", StringComparison.Ordinal)) + "\n```";

    private static void EscapeInto(StringBuilder b, ReadOnlySpan<char> text)
    {
        var start = b.Length;
        foreach (var c in text)
        {
            if (c is '\\' or '*' or '_' or '~' or '[' or ']' or '#' or '>' or '<' or '|' or '`') b.Append('\\');
            b.Append(c);
        }
        var escaped = Defuse(b.ToString(start, b.Length - start));
        b.Length = start;
        b.Append(escaped);
    }

    /// <summary>A word joiner after the '@' of every mention, so nothing Capstan posts notifies anyone.</summary>
    private static string Defuse(string text) => DefuseRoomMentions(Mentions().Replace(text, "@\u2060"));

    /// <summary>
    /// Left as they are: Capstan's code spans (a run of backticks, text without a line break, the same run) and web
    /// addresses (an escape inside one would become part of the address; an address shows as itself, never as other text).
    /// </summary>
    [GeneratedRegex(@"(`+)[^`\n][^\n]*?\1(?!`)|https?://[^\s<>`]+")]
    private static partial Regex CodeSpans();

    [GeneratedRegex(@"(?<![\w@])@(?=[\w.\-])")]
    private static partial Regex Mentions();
}
