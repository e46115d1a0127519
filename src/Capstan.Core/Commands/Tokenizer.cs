using System.Text;

namespace Capstan.Core.Commands;

/// <summary>
/// Splits a command line into words, honouring "double" and 'single' quotes and backslash escapes. A single
/// quote inside a word is an apostrophe (`it's fixed`, `don't`), because that is how people write in chat.
/// </summary>
public static class Tokenizer
{
    /// <summary>Returns the words, or an error sentence saying what to fix.</summary>
    public static (List<string>? Words, string? Error) Split(string text)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        var inWord = false;
        char quote = '\0';
        var quoteStart = -1;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsControl(c) && c is not ('\t' or '\n' or '\r'))
                return (null, $"the command contains a control character (U+{(int)c:X4}) at position {i + 1}; remove it and try again.");
            if (quote != '\0')
            {
                if (c == quote) { quote = '\0'; continue; }
                if (c == '\\' && quote == '"' && i + 1 < text.Length && text[i + 1] is '"' or '\\') { current.Append(text[++i]); continue; }
                current.Append(c);
                continue;
            }
            if (char.IsWhiteSpace(c))
            {
                if (inWord) { words.Add(current.ToString()); current.Clear(); inWord = false; }
                continue;
            }
            var startsWord = !inWord;
            inWord = true;
            if (c == '"' || (c == '\'' && startsWord)) { quote = c; quoteStart = i; continue; }
            if (c is '“' or '”') { quote = '”'; quoteStart = i; continue; }
            if (c == '\\' && i + 1 < text.Length) { current.Append(text[++i]); continue; }
            current.Append(c);
        }
        if (quote != '\0')
            return (null, $"the quote {text[quoteStart]} at position {quoteStart + 1} is never closed; close it, or write \\{text[quoteStart]} for a literal quote.");
        if (inWord) words.Add(current.ToString());
        return (words, null);
    }
}
