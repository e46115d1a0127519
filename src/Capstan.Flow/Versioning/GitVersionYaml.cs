using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Capstan.Flow.Versioning;

/// <summary>
/// Reads a GitVersion.yml into dictionaries, lists and strings with YamlDotNet's parser — the YAML GitVersion itself reads
/// (flow and block collections, quoted and block scalars, comments, anchors). The representation model uses no
/// reflection, so the Native AOT <c>capstan</c> can read it.
/// </summary>
internal static class GitVersionYaml
{
    /// <summary>Parses <paramref name="text"/>; a syntax error is a <see cref="FormatException"/> that names <paramref name="fileName"/> and the line.</summary>
    public static Dictionary<string, object?> Parse(string text, string fileName)
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(text)); }
        catch (YamlException e)
        {
            throw new FormatException($"{fileName}:{e.Start.Line}: {Reason(e)}. Fix the YAML on that line.", e);
        }
        if (stream.Documents.Count == 0) return new Dictionary<string, object?>(StringComparer.Ordinal);
        var root = stream.Documents[0].RootNode;
        if (IsNull(root)) return new Dictionary<string, object?>(StringComparer.Ordinal);
        return Convert(root, fileName) as Dictionary<string, object?>
            ?? throw new FormatException($"{fileName}:{root.Start.Line}: expected 'key: value' settings at the top level. Start the file with a setting such as 'workflow: GitFlow/v1'.");
    }

    private static object? Convert(YamlNode node, string file)
    {
        switch (node)
        {
            case YamlMappingNode map:
                var result = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var (key, value) in map.Children)
                {
                    if (key is not YamlScalarNode { Value: { } name })
                        throw new FormatException($"{file}:{key.Start.Line}: a key must be a plain name. Write it as 'name: value'.");
                    result[name] = Convert(value, file);
                }
                return result;
            case YamlSequenceNode list:
                return list.Children.Select(child => Convert(child, file)).ToList();
            case YamlScalarNode scalar:
                return IsNull(scalar) ? null : scalar.Value;
            default:
                throw new FormatException($"{file}:{node.Start.Line}: this kind of YAML value is not read by Capstan. Write a scalar, a list or a map.");
        }
    }

    // YAML's null: an empty plain value, '~' or 'null' written without quotes.
    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    // YamlDotNet's message starts with the position ("(Line: 3, Col: 5, Idx: 20) - (Line: …): "), already given as file:line.
    private static string Reason(YamlException e)
    {
        var message = e.Message;
        var marker = message.IndexOf("): ", StringComparison.Ordinal);
        return (marker >= 0 && message.StartsWith('(') ? message[(marker + 3)..] : message).TrimEnd('.', ' ');
    }
}
