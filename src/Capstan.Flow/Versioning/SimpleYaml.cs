namespace Capstan.Flow.Versioning;

/// <summary>Reads the block-style YAML subset GitVersion.yml files use: nested maps, lists and quoted or plain scalars.</summary>
internal static class SimpleYaml
{
    private sealed record Line(int Number, int Indent, string Text);

    /// <summary>Parses <paramref name="text"/> into dictionaries, lists and strings.</summary>
    public static Dictionary<string, object?> Parse(string text, string fileName)
    {
        var lines = new List<Line>();
        var number = 0;
        foreach (var raw in text.Replace("\r", "", StringComparison.Ordinal).Split('\n'))
        {
            number++;
            var stripped = StripComment(raw).TrimEnd();
            if (stripped.Trim().Length == 0 || stripped.Trim() == "---") continue;
            var indent = stripped.Length - stripped.TrimStart().Length;
            lines.Add(new Line(number, indent, stripped.Trim()));
        }
        var index = 0;
        if (lines.Count == 0) return new Dictionary<string, object?>();
        return ParseMap(lines, ref index, lines[0].Indent, fileName);
    }

    private static Dictionary<string, object?> ParseMap(List<Line> lines, ref int index, int indent, string file)
    {
        var map = new Dictionary<string, object?>(StringComparer.Ordinal);
        while (index < lines.Count && lines[index].Indent == indent)
        {
            var line = lines[index];
            var colon = FindColon(line.Text);
            if (colon < 0 || line.Text.StartsWith("- ", StringComparison.Ordinal))
                throw new FormatException($"{file}:{line.Number}: expected 'key: value' but found '{line.Text}'. Fix the line or remove it.");
            var key = Unquote(line.Text[..colon].Trim());
            var rest = line.Text[(colon + 1)..].Trim();
            index++;
            if (rest.Length > 0)
            {
                map[key] = Scalar(rest);
                continue;
            }
            if (index < lines.Count && lines[index].Indent > indent)
            {
                map[key] = lines[index].Text.StartsWith('-')
                    ? ParseList(lines, ref index, lines[index].Indent, file)
                    : ParseMap(lines, ref index, lines[index].Indent, file);
            }
            else if (index < lines.Count && lines[index].Indent == indent && lines[index].Text.StartsWith('-'))
            {
                map[key] = ParseList(lines, ref index, indent, file);
            }
            else
            {
                map[key] = null;
            }
        }
        if (index < lines.Count && lines[index].Indent > indent)
            throw new FormatException($"{file}:{lines[index].Number}: unexpected indentation. Align this line with its siblings.");
        return map;
    }

    private static List<object?> ParseList(List<Line> lines, ref int index, int indent, string file)
    {
        var list = new List<object?>();
        while (index < lines.Count && lines[index].Indent == indent && lines[index].Text.StartsWith('-'))
        {
            list.Add(Scalar(lines[index].Text[1..].Trim()));
            index++;
        }
        return list;
    }

    private static object? Scalar(string text)
    {
        if (text.StartsWith('[') && text.EndsWith(']'))
        {
            var inner = text[1..^1].Trim();
            return inner.Length == 0 ? new List<object?>() : inner.Split(',').Select(s => (object?)Unquote(s.Trim())).ToList();
        }
        if (text is "{}") return new Dictionary<string, object?>();
        if (text is "~" or "null") return null;
        return Unquote(text);
    }

    private static string Unquote(string text)
    {
        if (text.Length >= 2 && ((text[0] == '\'' && text[^1] == '\'') || (text[0] == '"' && text[^1] == '"')))
        {
            var inner = text[1..^1];
            return text[0] == '\'' ? inner.Replace("''", "'", StringComparison.Ordinal) : inner.Replace("\\\\", "\\", StringComparison.Ordinal).Replace("\\\"", "\"", StringComparison.Ordinal);
        }
        return text;
    }

    private static int FindColon(string text)
    {
        var quote = '\0';
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quote != '\0') { if (c == quote) quote = '\0'; continue; }
            if (c is '\'' or '"') { quote = c; continue; }
            if (c == ':' && (i + 1 == text.Length || text[i + 1] == ' ')) return i;
        }
        return -1;
    }

    private static string StripComment(string line)
    {
        var quote = '\0';
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quote != '\0') { if (c == quote) quote = '\0'; continue; }
            if (c is '\'' or '"') { quote = c; continue; }
            if (c == '#' && (i == 0 || line[i - 1] == ' ')) return line[..i];
        }
        return line;
    }
}
