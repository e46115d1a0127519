namespace Capstan.Chat.Adapters;

/// <summary>
/// Whether a room message is for Capstan: it starts with <c>!</c>, or with one of its names followed by <c>:</c>, <c>,</c>
/// or a space (<c>capstan: whoami</c>, <c>capstan whoami</c>, <c>@capstan whoami</c>). Returns the command without the address.
/// </summary>
public static class Addressing
{
    public static (bool Addressed, string Text) Read(string text, IEnumerable<string> names)
    {
        var t = text.TrimStart();
        if (t.StartsWith('!') && t.Length > 1 && !char.IsWhiteSpace(t[1])) return (true, t[1..]);
        foreach (var name in names.Prepend("capstan"))
        {
            foreach (var form in new[] { name, "@" + name })
            {
                if (form.Length == 0 || !t.StartsWith(form, StringComparison.OrdinalIgnoreCase)) continue;
                var rest = t[form.Length..];
                if (rest.Length == 0) return (true, "");
                if (rest[0] is ':' or ',' or ' ' or '\t') return (true, rest.TrimStart(':', ',').Trim());
            }
        }
        return (false, text);
    }
}
