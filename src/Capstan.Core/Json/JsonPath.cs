using System.Globalization;
using System.Text.Json;

namespace Capstan.Core.Json;

/// <summary>
/// The one JSON path grammar of capstan.yaml (runbook http steps' <c>expect: { json: }</c>, custom indicators'
/// <c>source.http.path</c>): <c>$</c>, then any number of <c>.name</c>, <c>[index]</c> and <c>['odd name']</c> steps,
/// for example <c>$.data.items[0].value</c>. No wildcards, filters or recursive descent: a path names one value.
/// </summary>
public sealed record JsonPath(string Text, IReadOnlyList<object> Steps)
{
    /// <summary>Parses the path, or returns the problem in a sentence.</summary>
    public static (JsonPath? Path, string? Problem) Parse(string text)
    {
        var t = text.Trim();
        if (!t.StartsWith('$')) return (null, $"json path '{text}' must start with $ (for example $.data.value)");
        var steps = new List<object>();
        var i = 1;
        while (i < t.Length)
        {
            if (t[i] == '.')
            {
                var start = ++i;
                while (i < t.Length && t[i] != '.' && t[i] != '[') i++;
                if (i == start) return (null, $"json path '{text}' has an empty name at position {start + 1}");
                steps.Add(t[start..i]);
            }
            else if (t[i] == '[')
            {
                var close = t.IndexOf(']', i);
                if (close < 0) return (null, $"json path '{text}' has a '[' that is not closed");
                var inner = t[(i + 1)..close].Trim();
                if (inner.Length >= 2 && (inner[0] == '\'' || inner[0] == '"') && inner[^1] == inner[0]) steps.Add(inner[1..^1]);
                else if (int.TryParse(inner, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) steps.Add(n);
                else return (null, $"json path '{text}' has '[{inner}]': write an index like [0] or a quoted name like ['name']");
                i = close + 1;
            }
            else return (null, $"json path '{text}' is not valid at position {i + 1} (expected . or [)");
        }
        return (new JsonPath(t, steps), null);
    }

    /// <summary>The element at the path, or a sentence saying where the document did not match.</summary>
    public (JsonElement? Element, string? Problem) Select(JsonElement root)
    {
        var e = root;
        var at = "$";
        foreach (var s in Steps)
        {
            if (s is string name)
            {
                if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(name, out var next)) return (null, $"the response has no '{name}' under {at}");
                e = next;
                at += "." + name;
            }
            else
            {
                var n = (int)s;
                if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() <= n) return (null, $"the response has no item [{n}] under {at}");
                e = e[n];
                at += $"[{n}]";
            }
        }
        return (e, null);
    }

    /// <summary>The number at the path (a numeric string and true/false count too), or a sentence saying why not.</summary>
    public (double? Value, string? Problem) Read(JsonElement root)
    {
        var (found, problem) = Select(root);
        if (found is not { } e) return (null, problem);
        return e.ValueKind switch
        {
            JsonValueKind.Number => (e.GetDouble(), null),
            JsonValueKind.String when double.TryParse(e.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => (d, null),
            JsonValueKind.True => (1, null),
            JsonValueKind.False => (0, null),
            _ => (null, $"the value at {Text} is {e.ValueKind.ToString().ToLowerInvariant()}, not a number"),
        };
    }

    /// <summary>
    /// The value at the path in a JSON text, as text (strings unquoted, true/false/null as words, objects and arrays as
    /// their JSON), or null when the text is not JSON or the path is not in it.
    /// </summary>
    public string? Find(string json)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException) { return null; }
        using (doc)
        {
            if (Select(doc.RootElement).Element is not { } node) return null;
            return node.ValueKind switch
            {
                JsonValueKind.String => node.GetString(),
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                JsonValueKind.Null => "null",
                _ => node.GetRawText(),
            };
        }
    }
}
