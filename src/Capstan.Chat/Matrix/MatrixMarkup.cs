using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Capstan.Chat.Text;

namespace Capstan.Chat.Matrix;

/// <summary>
/// How Capstan writes on Matrix: the plain <c>body</c> is the text with room mentions defused, and the
/// <c>formatted_body</c> is HTML made from it with every character escaped first, so people's text can never become
/// markup; only Capstan's own code spans and blocks turn into <c>&lt;code&gt;</c>/<c>&lt;pre&gt;</c>. A message's size is
/// the size of the event content it becomes, which must stay under the homeserver's 65,536-byte event limit.
/// </summary>
public sealed class MatrixMarkup : ChatMarkup
{
    /// <summary>Room for the event's envelope (sender, room id, thread relation, signatures) under the 65,536-byte limit.</summary>
    public override int MaxLength => 60_000;

    public override int Measure(string text) => Encoding.UTF8.GetByteCount(MatrixContent.Json(MatrixContent.Message(text, LongestId)));

    public override string Escape(string text) => DefuseRoomMentions(text);

    public override string CodeBlock(string text) => "```\n" + DefuseRoomMentions(text) + "\n```";

    private static readonly string LongestId = "$" + new string('x', 80);
}

/// <summary>The event contents Capstan sends: messages (in a thread or not) and edits.</summary>
public static class MatrixContent
{
    /// <summary>
    /// JSON as homeservers count it (canonical JSON keeps UTF-8 and '&lt;' as they are): escaping them as <c>\uXXXX</c>
    /// would make a message up to six times larger than the event the homeserver stores.
    /// </summary>
    public static string Json(JsonNode content) => content.ToJsonString(Relaxed);

    private static readonly System.Text.Json.JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// An <c>m.notice</c> (the type bots send, so other bots do not answer it) with an HTML rendering and an empty
    /// <c>m.mentions</c>: nobody and no room is notified by it.
    /// </summary>
    public static JsonObject Message(string text, string? threadRoot)
    {
        var content = Body(text);
        if (threadRoot is not null)
            content["m.relates_to"] = new JsonObject
            {
                ["rel_type"] = "m.thread",
                ["event_id"] = threadRoot,
                ["is_falling_back"] = true,
                ["m.in_reply_to"] = new JsonObject { ["event_id"] = threadRoot },
            };
        return content;
    }

    /// <summary>An edit (<c>m.replace</c>) of <paramref name="original"/>: clients without edits see "* text".</summary>
    public static JsonObject Edit(string text, string original)
    {
        var content = Body("* " + text);
        content["m.new_content"] = Body(text);
        content["m.relates_to"] = new JsonObject { ["rel_type"] = "m.replace", ["event_id"] = original };
        return content;
    }

    private static JsonObject Body(string text) => new()
    {
        ["msgtype"] = "m.notice",
        ["body"] = text,
        ["format"] = "org.matrix.custom.html",
        ["formatted_body"] = Html(text),
        ["m.mentions"] = new JsonObject(),
    };

    /// <summary>
    /// HTML for Capstan's text: everything is HTML-escaped first, then <c>```</c> fences become <c>&lt;pre&gt;</c> blocks and
    /// <c>`spans`</c> become <c>&lt;code&gt;</c>; line breaks become <c>&lt;br&gt;</c> outside blocks.
    /// </summary>
    public static string Html(string text)
    {
        var b = new StringBuilder(text.Length + 32);
        var segments = WebUtility.HtmlEncode(text).Split("```");
        for (var i = 0; i < segments.Length; i++)
        {
            var s = segments[i];
            if (i % 2 == 1)
            {
                b.Append("<pre><code>").Append(s.Trim('\n')).Append("</code></pre>");
                continue;
            }
            var spans = s.Split('`');
            for (var j = 0; j < spans.Length; j++)
            {
                var inCode = j % 2 == 1 && j < spans.Length - 1;
                var part = spans[j].Replace("\n", "<br>", StringComparison.Ordinal);
                if (inCode) b.Append("<code>").Append(part).Append("</code>");
                else b.Append(j % 2 == 1 ? "`" : "").Append(part);
            }
        }
        return b.ToString();
    }
}
