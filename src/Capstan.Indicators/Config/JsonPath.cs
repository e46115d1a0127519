using System.Globalization;
using System.Text.Json;

namespace Capstan.Indicators.Config;

/// <summary>A JSON path of the form <c>$.data.items[0].value</c> (member names and array indexes; <c>['odd name']</c> too).</summary>
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

    /// <summary>The number at the path, or a sentence saying where the document did not match.</summary>
    public (double? Value, string? Problem) Read(JsonElement root)
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
        return e.ValueKind switch
        {
            JsonValueKind.Number => (e.GetDouble(), null),
            JsonValueKind.String when double.TryParse(e.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => (d, null),
            JsonValueKind.True => (1, null),
            JsonValueKind.False => (0, null),
            _ => (null, $"the value at {Text} is {e.ValueKind.ToString().ToLowerInvariant()}, not a number"),
        };
    }
}
