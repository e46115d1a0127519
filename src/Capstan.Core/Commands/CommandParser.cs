namespace Capstan.Core.Commands;

/// <summary>What the parser made of a message.</summary>
public abstract record ParseOutcome
{
    /// <summary>Ordinary chat, not meant for Capstan.</summary>
    public sealed record Chat : ParseOutcome;
    public sealed record Command(ParsedCommand Parsed) : ParseOutcome;
    /// <summary>Meant for Capstan but not understood; the problem says what to type instead.</summary>
    public sealed record Problem(string Message, CommandSpec? Spec) : ParseOutcome;
}

/// <summary>
/// Turns chat text into a <see cref="ParsedCommand"/> using the registry's declarations.
/// A message is for Capstan when it is addressed (<c>!deploy</c>, <c>capstan: deploy</c>, a direct message,
/// the CLI or API) or when its first word names a command.
/// </summary>
public static class CommandParser
{
    private static readonly string[] Prefixes = ["@capstan:", "@capstan,", "@capstan", "capstan:", "capstan,", "capstan ", "!", "/"];

    public static ParseOutcome Parse(string text, CommandRegistry registry, ArgumentContext context, bool addressed)
    {
        var body = text.Trim();
        foreach (var p in Prefixes)
            if (body.StartsWith(p, StringComparison.OrdinalIgnoreCase) && body.Length > p.Length - (p.EndsWith(' ') ? 1 : 0))
            {
                body = body[p.Length..].TrimStart();
                addressed = true;
                break;
            }
        if (body.Length == 0)
            return addressed ? new ParseOutcome.Problem("Say what you need: type `help` to see the commands you can run.", null) : new ParseOutcome.Chat();

        var (words, error) = Tokenizer.Split(body);
        if (words is null)
        {
            // Only complain about quoting when the message was clearly meant for Capstan.
            var first = body.Split(' ', 2)[0];
            return addressed || registry.Find(first) is not null ? new ParseOutcome.Problem(Capitalise(error!), registry.Find(first)) : new ParseOutcome.Chat();
        }
        if (words.Count == 0) return addressed ? new ParseOutcome.Problem("Say what you need: type `help` to see the commands you can run.", null) : new ParseOutcome.Chat();

        var (spec, used) = registry.Match(words);
        if (spec is null)
            return addressed || LooksLikeATypo(words, registry) ? new ParseOutcome.Problem(UnknownCommand(words, registry), null) : new ParseOutcome.Chat();
        return Bind(spec, words.Skip(used).ToList(), context, body);
    }

    /// <summary>A short unaddressed message whose first word is one letter away from a command ("histroy 20").</summary>
    private static bool LooksLikeATypo(List<string> words, CommandRegistry registry)
    {
        if (words.Count > 5 || words[0].Length < 4) return false;
        var first = words[0].ToLowerInvariant();
        return registry.All.Select(c => c.Id.Split(' ')[0]).Distinct().Any(n => n.Length >= 4 && Suggest.Distance(first, n) == 1);
    }

    private static string UnknownCommand(List<string> words, CommandRegistry registry)
    {
        var typed = words[0];
        var twoWords = words.Count > 1 ? $"{words[0]} {words[1]}" : null;
        var family = registry.All.Where(c => c.Id.StartsWith(typed + " ", StringComparison.OrdinalIgnoreCase)).Select(c => c.Id).ToList();
        if (family.Count > 0)
        {
            var near = twoWords is null ? null : Suggest.Nearest(twoWords, family);
            return $"'{(twoWords ?? typed)}' is not a command" + (near is not null ? $" — did you mean '{near}'?" : ".") + $" The {typed} commands are: {string.Join(", ", family)}.";
        }
        var nearest = Suggest.Nearest(typed, registry.Names.Where(n => !n.Contains(' ')).Concat(registry.All.Select(c => c.Id.Split(' ')[0])).Distinct());
        var shown = typed.Length > 40 ? typed[..40] + "…" : typed;
        return $"I don't know the command '{shown}'" + (nearest is not null ? $" — did you mean '{nearest}'?" : ".") + " Type `help` to see the commands you can run.";
    }

    private static ParseOutcome Bind(CommandSpec spec, List<string> words, ArgumentContext context, string text)
    {
        var raw = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var flags = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var positional = spec.Arguments.Where(a => a.Keyword is null).ToList();
        var nextPositional = 0;
        ParseOutcome Problem(string message) =>
            new ParseOutcome.Problem($"{Capitalise(message)}. Usage: `{spec.Usage}`" + (spec.Examples.Count > 0 ? $" — for example `{spec.Examples[0]}`." : "."), spec);

        for (var i = 0; i < words.Count; i++)
        {
            var w = words[i];
            if (w.StartsWith("--", StringComparison.Ordinal) && w.Length > 2)
            {
                var eq = w.IndexOf('=');
                var name = eq > 0 ? w[2..eq] : w[2..];
                if (spec.Flags.Any(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase)) && eq < 0) { flags.Add(name); continue; }
                var arg = spec.Arguments.FirstOrDefault(a => string.Equals(a.Name, name, StringComparison.OrdinalIgnoreCase));
                if (arg is not null && eq > 0) { raw[arg.Name] = w[(eq + 1)..]; continue; }
                if (arg is not null && i + 1 < words.Count) { raw[arg.Name] = words[++i]; continue; }
                var options = spec.Flags.Select(f => "--" + f.Name).Concat(spec.Arguments.Select(a => $"--{a.Name}=…")).ToList();
                var near = Suggest.Nearest(name, spec.Flags.Select(f => f.Name).Concat(spec.Arguments.Select(a => a.Name)));
                return Problem($"unknown option --{name} for '{spec.Id}'" + (near is not null ? $" — did you mean --{near}?" : ".") +
                    (options.Count > 0 ? $" Its options are: {string.Join(", ", options)}" : " It takes no options"));
            }
            var restArg = positional.ElementAtOrDefault(nextPositional) is { Rest: true } r ? r : null;
            if (restArg is null)
            {
                var kv = w.IndexOf('=');
                if (kv > 0)
                {
                    var key = w[..kv];
                    var named = spec.Arguments.FirstOrDefault(a => string.Equals(a.Name, key, StringComparison.OrdinalIgnoreCase));
                    if (named is not null) { raw[named.Name] = w[(kv + 1)..]; continue; }
                }
                var keyword = spec.Arguments.FirstOrDefault(a => a.Keyword is not null && string.Equals(a.Keyword, w, StringComparison.OrdinalIgnoreCase) && !raw.ContainsKey(a.Name));
                if (keyword is not null)
                {
                    if (i + 1 >= words.Count) return Problem($"'{w}' needs a {keyword.Name.ToUpperInvariant()} after it");
                    raw[keyword.Name] = words[++i];
                    continue;
                }
            }
            while (nextPositional < positional.Count && raw.ContainsKey(positional[nextPositional].Name)) nextPositional++;
            if (nextPositional >= positional.Count)
                return Problem($"I did not expect '{Shorten(w)}' here");
            var slot = positional[nextPositional++];
            if (slot.Rest)
            {
                raw[slot.Name] = string.Join(' ', words.Skip(i));
                break;
            }
            raw[slot.Name] = w;
        }

        var values = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
        foreach (var a in spec.Arguments)
        {
            if (!raw.TryGetValue(a.Name, out var text1))
            {
                if (a.Required) return Problem($"'{spec.Id}' needs {a.Name.ToUpperInvariant()}" + (a.Description.Length > 0 ? $" ({a.Description})" : ""));
                continue;
            }
            var v = a.Kind.Parse(text1, context);
            if (v.Problem is not null) return Problem($"{v.Problem} (for {a.Name.ToUpperInvariant()})");
            values[a.Name] = v.Value!;
        }
        return new ParseOutcome.Command(new ParsedCommand(spec, values, flags, text));
    }

    private static string Shorten(string s) => s.Length > 40 ? s[..40] + "…" : s;

    private static string Capitalise(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}
