using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Capstan.Core.Config;

/// <summary>
/// One YAML file being read: wraps YamlDotNet's node model so every complaint carries file:line:column.
/// Readers report problems through it and keep going, so a user sees all errors at once.
/// </summary>
public sealed class YamlSource
{
    public string File { get; }
    public YamlNode? Root { get; }
    public List<ConfigError> Errors { get; }

    private YamlSource(string file, YamlNode? root, List<ConfigError> errors)
    {
        File = file;
        Root = root;
        Errors = errors;
    }

    public static YamlSource Parse(string file, string text, List<ConfigError> errors)
    {
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            var root = stream.Documents.Count > 0 ? stream.Documents[0].RootNode : null;
            return new YamlSource(file, root, errors);
        }
        catch (YamlException ex)
        {
            var detail = ex.InnerException?.Message ?? ex.Message;
            var at = detail.IndexOf("): ", StringComparison.Ordinal);
            if (detail.StartsWith("(Line", StringComparison.Ordinal) && at > 0) detail = detail[(at + 3)..];
            errors.Add(new ConfigError(file, (int)ex.Start.Line, (int)ex.Start.Column, $"invalid YAML: {detail}"));
            return new YamlSource(file, null, errors);
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet sometimes fails without a position (an unclosed flow sequence); find where reading stopped.
            var (line, column) = LastReadPosition(text);
            errors.Add(new ConfigError(file, line, column, "invalid YAML: the structure is not closed or not valid here (an unclosed [ or {, or a misplaced ':'?)"));
            return new YamlSource(file, null, errors);
        }
    }

    private static (int Line, int Column) LastReadPosition(string text)
    {
        var parser = new Parser(new StringReader(text));
        Mark last = Mark.Empty;
        try
        {
            while (parser.MoveNext()) last = parser.Current!.End;
        }
        catch (Exception ex) when (ex is YamlException or InvalidOperationException)
        {
            // the position of the last event read before the failure is the best place to point at
        }
        return ((int)last.Line, (int)last.Column);
    }

    public void Fail(YamlNode? node, string message) =>
        Errors.Add(new ConfigError(File, node is null ? 0 : (int)node.Start.Line, node is null ? 0 : (int)node.Start.Column, message));

    public YamlMappingNode? Map(YamlNode? node, string what)
    {
        if (node is null || IsNull(node)) return null;
        if (node is YamlMappingNode m) return m;
        Fail(node, $"{what} must be a mapping of keys to values");
        return null;
    }

    public static bool IsNull(YamlNode node) => node is YamlScalarNode s && s.Style == ScalarStyle.Plain && (s.Value is null or "" or "~" or "null");

    /// <summary>The entries of a mapping as (key text, key node, value node).</summary>
    public IEnumerable<(string Key, YamlNode KeyNode, YamlNode Value)> Entries(YamlMappingNode? map)
    {
        if (map is null) yield break;
        foreach (var (k, v) in map.Children)
            yield return (((k as YamlScalarNode)?.Value) ?? "", k, v);
    }

    public YamlNode? Get(YamlMappingNode? map, string key) =>
        map is not null && map.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

    public string? Text(YamlNode? node, string what)
    {
        if (node is null || IsNull(node)) return null;
        if (node is YamlScalarNode s) return s.Value;
        Fail(node, $"{what} must be a single value");
        return null;
    }

    public bool? Bool(YamlNode? node, string what)
    {
        var t = Text(node, what);
        if (t is null) return null;
        if (bool.TryParse(t, out var b)) return b;
        if (t is "yes" or "on") return true;
        if (t is "no" or "off") return false;
        Fail(node, $"{what} must be true or false, not '{t}'");
        return null;
    }

    public int? Int(YamlNode? node, string what)
    {
        var t = Text(node, what);
        if (t is null) return null;
        if (int.TryParse(t, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var i)) return i;
        Fail(node, $"{what} must be a whole number, not '{t}'");
        return null;
    }

    public TimeSpan? Duration(YamlNode? node, string what)
    {
        var t = Text(node, what);
        if (t is null) return null;
        if (Commands.DurationText.TryParse(t, out var d)) return d;
        Fail(node, $"{what} must be a duration such as 90s, 5m or 2h, not '{t}'");
        return null;
    }

    /// <summary>A list of strings; a single string is accepted as a one-item list.</summary>
    public List<(string Value, YamlNode Node)> Strings(YamlNode? node, string what)
    {
        var list = new List<(string, YamlNode)>();
        if (node is null || IsNull(node)) return list;
        if (node is YamlScalarNode s) { list.Add((s.Value ?? "", s)); return list; }
        if (node is YamlSequenceNode seq)
        {
            foreach (var item in seq.Children)
            {
                var t = Text(item, what + " item");
                if (t is not null) list.Add((t, item));
            }
            return list;
        }
        Fail(node, $"{what} must be a list such as [a, b]");
        return list;
    }

    /// <summary>Reports keys of a mapping that the reader does not know, suggesting the nearest known one.</summary>
    public void OnlyKeys(YamlMappingNode? map, string what, params string[] known)
    {
        foreach (var (key, keyNode, _) in Entries(map))
            if (!known.Contains(key))
            {
                var near = Commands.Suggest.Nearest(key, known);
                Fail(keyNode, $"unknown key '{key}' in {what}" + (near is null ? $" (known keys: {string.Join(", ", known)})" : $" — did you mean '{near}'?"));
            }
    }
}
