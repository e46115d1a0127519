using System.Globalization;
using Capstan.Core.Config;

namespace Capstan.Core.Commands;

/// <summary>What an argument parser may look things up in: the current configuration and known rooms.</summary>
public sealed record ArgumentContext(ConfigSnapshot Config, IReadOnlyCollection<string> Rooms);

/// <summary>
/// A typed argument's kind: how text becomes a value, and how to say what went wrong. Every kind is an
/// <see cref="ArgumentKind{T}"/>, so the value a handler reads has the type its argument was declared with.
/// </summary>
public abstract class ArgumentKind
{
    // Only ArgumentKind<T> derives from this, so every parsed value is of the type its kind declares.
    private protected ArgumentKind() { }

    /// <summary>The kind's name in help text (int, duration, person …).</summary>
    public abstract string Name { get; }

    /// <summary>Converts the text; on failure returns an error sentence naming the problem.</summary>
    public abstract ArgumentValue Parse(string text, ArgumentContext context);

    public static readonly ArgumentKind<string> Text = new TextKind();
    public static readonly ArgumentKind<int> Int = new IntKind();
    public static readonly ArgumentKind<TimeSpan> Duration = new DurationKind();
    /// <summary>A person's id from people: in capstan.yaml (a leading @ is dropped).</summary>
    public static readonly ArgumentKind<string> Person = new PersonKind();
    public static readonly ArgumentKind<string> Room = new RoomKind();
    public static readonly ArgumentKind<EnvironmentName> Environment = new EnvironmentKind();
    /// <summary>A semantic version, without a leading v.</summary>
    public static readonly ArgumentKind<string> Version = new VersionKind();
    public static readonly ArgumentKind<DateTimeOffset> Time = new TimeKind();

    public static ArgumentKind<string> Enum(params string[] values) => new EnumKind(values);

    /// <summary>A kind whose values come from a list known at parse time (apps, runbooks …).</summary>
    public static ArgumentKind<string> Named(string name, Func<ArgumentContext, IReadOnlyCollection<string>> known) => new NamedKind(name, known);

    private sealed class TextKind : ArgumentKind<string>
    {
        public override string Name => "text";
        public override ArgumentValue Parse(string text, ArgumentContext context) => Ok(text);
    }

    private sealed class IntKind : ArgumentKind<int>
    {
        public override string Name => "number";
        public override ArgumentValue Parse(string text, ArgumentContext context) =>
            int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
                ? Ok(n)
                : ArgumentValue.Error($"'{text}' is not a whole number");
    }

    private sealed class DurationKind : ArgumentKind<TimeSpan>
    {
        public override string Name => "duration";
        public override ArgumentValue Parse(string text, ArgumentContext context) =>
            DurationText.TryParse(text, out var d) ? Ok(d) : ArgumentValue.Error($"'{text}' is not a duration (write it like 90s, 15m, 2h or 7d)");
    }

    private sealed class TimeKind : ArgumentKind<DateTimeOffset>
    {
        public override string Name => "time";
        public override ArgumentValue Parse(string text, ArgumentContext context) =>
            DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
                ? Ok(t)
                : ArgumentValue.Error($"'{text}' is not a date or time (write it like 2026-11-24 or 2026-11-24T09:00Z)");
    }

    private sealed class PersonKind : ArgumentKind<string>
    {
        public override string Name => "person";
        public override ArgumentValue Parse(string text, ArgumentContext context)
        {
            var id = text.TrimStart('@');
            if (context.Config.Policy.People.TryGetValue(id, out var p)) return Ok(p.Id);
            return ArgumentValue.Error(Unknown("person", id, context.Config.Policy.People.Keys));
        }
    }

    private sealed class RoomKind : ArgumentKind<string>
    {
        public override string Name => "room";
        public override ArgumentValue Parse(string text, ArgumentContext context)
        {
            var room = text.TrimStart('#').ToLowerInvariant();
            return context.Rooms.Contains(room) ? Ok(room) : ArgumentValue.Error(Unknown("room", room, context.Rooms));
        }
    }

    private sealed class EnvironmentKind : ArgumentKind<EnvironmentName>
    {
        public override string Name => "environment";
        public override ArgumentValue Parse(string text, ArgumentContext context) =>
            context.Config.Policy.Environments.TryGetValue(text, out var e)
                ? Ok(new EnvironmentName(e.Name))
                : ArgumentValue.Error(Unknown("environment", text, context.Config.Policy.Environments.Keys));
    }

    private sealed class VersionKind : ArgumentKind<string>
    {
        public override string Name => "version";
        public override ArgumentValue Parse(string text, ArgumentContext context)
        {
            var t = text.StartsWith('v') || text.StartsWith('V') ? text[1..] : text;
            return SemanticVersionText.IsValid(t) ? Ok(t) : ArgumentValue.Error($"'{text}' is not a semantic version (write it like 1.4.2 or 2.0.0-rc.1)");
        }
    }

    private sealed class EnumKind(string[] values) : ArgumentKind<string>
    {
        public override string Name => string.Join("|", values);
        public override ArgumentValue Parse(string text, ArgumentContext context)
        {
            var match = values.FirstOrDefault(v => string.Equals(v, text, StringComparison.OrdinalIgnoreCase));
            return match is not null ? Ok(match) : ArgumentValue.Error($"'{text}' is not one of {string.Join(", ", values)}" + DidYouMean(text, values));
        }
    }

    private sealed class NamedKind(string name, Func<ArgumentContext, IReadOnlyCollection<string>> known) : ArgumentKind<string>
    {
        public override string Name => name;
        public override ArgumentValue Parse(string text, ArgumentContext context)
        {
            var names = known(context);
            var match = names.FirstOrDefault(v => string.Equals(v, text, StringComparison.OrdinalIgnoreCase));
            return match is not null ? Ok(match) : ArgumentValue.Error(Unknown(name, text, names));
        }
    }

    private static string DidYouMean(string text, IEnumerable<string> known) =>
        Suggest.Nearest(text, known) is { } near ? $" — did you mean '{near}'?" : "";

    /// <summary>"unknown app 'apii' — did you mean 'api'? Known apps: api, web", or "unknown app 'x'. Known apps: api, web".</summary>
    public static string Unknown(string what, string text, IEnumerable<string> known)
    {
        var list = known.OrderBy(k => k, StringComparer.Ordinal).ToList();
        var shown = list.Count == 0 ? "none yet" : string.Join(", ", list.Take(20)) + (list.Count > 20 ? $" and {list.Count - 20} more" : "");
        var nearest = DidYouMean(text, list);
        return $"unknown {what} '{text}'{(nearest.Length > 0 ? nearest : ".")} Known {Plural(what)}: {shown}";
    }

    /// <summary>severity → severities, app → apps, process → processes.</summary>
    private static string Plural(string noun) =>
        noun.EndsWith('y') && noun.Length > 1 && !"aeiou".Contains(noun[^2]) ? noun[..^1] + "ies"
        : noun.EndsWith('s') || noun.EndsWith('x') || noun.EndsWith("sh") || noun.EndsWith("ch") ? noun + "es"
        : noun + "s";
}

/// <summary>A kind whose values are of type <typeparamref name="T"/>: the parser stores them, a handler reads them as T.</summary>
public abstract class ArgumentKind<T> : ArgumentKind where T : notnull
{
    /// <summary>A parsed value; the only way a kind makes one, so it is always a T.</summary>
    protected static ArgumentValue Ok(T value) => new(value, null);

    /// <summary>
    /// The same parsing and error sentences, with the value turned into a type in the product's words
    /// (<c>ArgumentKind.Named("app", …).As(n => new AppName(n))</c>).
    /// </summary>
    public ArgumentKind<TOut> As<TOut>(Func<T, TOut> convert) where TOut : notnull => new Converted<TOut>(this, convert);

    private sealed class Converted<TOut>(ArgumentKind<T> inner, Func<T, TOut> convert) : ArgumentKind<TOut> where TOut : notnull
    {
        public override string Name => inner.Name;
        public override ArgumentValue Parse(string text, ArgumentContext context)
        {
            var parsed = inner.Parse(text, context);
            return parsed is { Problem: null, Value: T value } ? Ok(convert(value)) : parsed;
        }
    }
}

/// <summary>The result of parsing one argument: a value or an error sentence.</summary>
public readonly record struct ArgumentValue(object? Value, string? Problem)
{
    public static ArgumentValue Error(string problem) => new(null, problem);
}

/// <summary>Checks semantic version text (SemVer 2.0.0).</summary>
public static partial class SemanticVersionText
{
    [System.Text.RegularExpressions.GeneratedRegex(@"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$")]
    private static partial System.Text.RegularExpressions.Regex Pattern();

    public static bool IsValid(string text) => text.Length <= 128 && Pattern().IsMatch(text);
}
