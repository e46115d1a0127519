using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Capstan.Chat.Linking;

/// <summary>
/// Writes <c>handles: { PLATFORM: HANDLE }</c> into a person's entry of capstan.yaml by changing only the characters it
/// needs, so the file's comments, order and layout stay as the people who maintain it wrote them.
/// </summary>
public static class HandleEntry
{
    /// <summary>The text with the handle set (added, or replacing the person's earlier handle on that platform); or why it could not be.</summary>
    public static (string? Text, string? Problem) With(string text, string person, string platform, string handle)
    {
        YamlMappingNode? root;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            root = stream.Documents.FirstOrDefault()?.RootNode as YamlMappingNode;
        }
        catch (YamlException ex)
        {
            return (null, "capstan.yaml cannot be read (" + ex.Message + "); fix it first.");
        }
        var value = Quote(handle);
        if (Get(root, "people") is not YamlMappingNode people || Get(people, person) is not YamlMappingNode entry)
            return (null, $"{person} has no entry under people: in capstan.yaml.");
        var handles = Get(entry, "handles");
        if (handles is null) return (Insert(text, entry, "handles", $"{{ {platform}: {value} }}"), null);
        if (handles is not YamlMappingNode map) return (null, $"people.{person}.handles in capstan.yaml is not a mapping; fix it first.");
        if (Get(map, platform) is YamlScalarNode old)
            return (Splice(text, old.Start.Index, old.End.Index, value), null);
        return (Insert(text, map, platform, value), null);
    }

    private static YamlNode? Get(YamlMappingNode? map, string key) =>
        map?.Children.FirstOrDefault(c => c.Key is YamlScalarNode k && string.Equals(k.Value, key, StringComparison.Ordinal)).Value;

    /// <summary>Adds <c>key: value</c> as the last entry of a mapping, in its own style (flow: before the closing brace; block: a line at its indentation).</summary>
    private static string Insert(string text, YamlMappingNode map, string key, string value)
    {
        if (map.Style == MappingStyle.Flow)
        {
            var close = text.LastIndexOf('}', (int)map.End.Index - 1);
            return Splice(text, close, close, (map.Children.Count > 0 ? ", " : " ") + $"{key}: {value} ");
        }
        var first = map.Children.First().Key;
        var indent = new string(' ', (int)first.Start.Column - 1);
        var last = map.Children.Last().Value;
        var lineEnd = text.IndexOf('\n', (int)Math.Max(last.End.Index - 1, last.Start.Index));
        if (lineEnd < 0) return text + (text.EndsWith('\n') ? "" : "\n") + $"{indent}{key}: {value}\n";
        return Splice(text, lineEnd, lineEnd, $"\n{indent}{key}: {value}");
    }

    private static string Splice(string text, long from, long to, string with) => text[..(int)from] + with + text[(int)to..];

    /// <summary>A handle as a double-quoted YAML string (JSON's escaping is valid there): nothing in it can end the value.</summary>
    private static string Quote(string handle) => JsonSerializer.Serialize(handle, Relaxed);

    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
