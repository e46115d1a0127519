using System.Globalization;
using Capstan.Core.Config;

namespace Capstan.Core.Commands;

/// <summary>What an argument parser may look things up in: the current configuration and known rooms.</summary>
public sealed record ArgumentContext(ConfigSnapshot Config, IReadOnlyCollection<string> Rooms);

/// <summary>A typed argument's kind: how text becomes a value, and how to say what went wrong.</summary>
public abstract class ArgumentKind
{
    /// <summary>The kind's name in help text (int, duration, person …).</summary>
    public abstract string Name { get; }

    /// <summary>Converts the text; on failure returns an error sentence naming the problem.</summary>
    public abstract ArgumentValue Parse(string text, ArgumentContext context);

    public static readonly ArgumentKind Text = new TextKind();
    public static readonly ArgumentKind Int = new IntKind();
    public static readonly ArgumentKind Duration = new DurationKind();
    public static readonly ArgumentKind Person = new PersonKind();
    public static readonly ArgumentKind Room = new RoomKind();
    public static readonly ArgumentKind Environment = new EnvironmentKind();
    public static readonly ArgumentKind Version = new VersionKind();
    public static readonly ArgumentKind Time = new TimeKind();

    public static ArgumentKind Enum(params string[] values) => new EnumKind(values);

    /// <summary>A kind whose values come from a list known at parse time (apps, runbooks …).</summary>
    public static ArgumentKind Named(string name, Func<ArgumentContext, IReadOnlyCollection<string>> known) => new NamedKind(name, known);

    private sealed class TextKind : ArgumentKind
    {
        public override string Name => "text";
        public override ArgumentValue Parse(string text, ArgumentContext context) => ArgumentValue.Of(text);
    }

    private sealed class IntKind : ArgumentKind
    {
        public override string Name => "number";
        public override ArgumentValue Parse(string text, ArgumentContext context) =>
            int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
                ? ArgumentValue.Of(n)
                : ArgumentValue.Error($"'{text}' is not a whole number");
    }

    private sealed class DurationKind : ArgumentKind
    {
        public override string Name => "duration";
        public override ArgumentValue Parse(string text, ArgumentContext context) =>
            DurationText.TryParse(text, out var d) ? ArgumentValue.Of(d) : ArgumentValue.Error($"'{text}' is not a duration (write it like 90s, 15m, 2h or 7d)");
    }

    private sealed class TimeKind : ArgumentKind
    {
        public override string Name => "time";
        public override ArgumentValue Parse(string text, ArgumentContext context) =>
            DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
                ? ArgumentValue.Of(t)
                : ArgumentValue.Error($"'{text}' is not a date or time (write it like 2026-11-24 or 2026-11-24T09:00Z)");
    }

    private sealed class PersonKind : ArgumentKind
    {
        public override string Name => "person";
        public override ArgumentValue Parse(string text, ArgumentContext context)
        {
            var id = text.TrimStart('@');
            if (context.Config.Policy.People.TryGetValue(id, out var p)) return ArgumentValue.Of(p.Id);
            return ArgumentValue.Error(Unknown("person", id, context.Config.Policy.People.Keys));
        }
    }

    private sealed class RoomKind : ArgumentKind
    {
        public override string Name => "room";
        public override ArgumentValue Parse(string text, ArgumentContext context)
        {
            var room = text.TrimStart('#').ToLowerInvariant();
            return context.Rooms.Contains(room) ? ArgumentValue.Of(room) : ArgumentValue.Error(Unknown("room", room, context.Rooms));
        }
    }

    private sealed class EnvironmentKind : ArgumentKind
    {
        public override string Name => "environment";
        public override ArgumentValue Parse(string text, ArgumentContext context) =>
            context.Config.Policy.Environments.TryGetValue(text, out var e)
                ? ArgumentValue.Of(e.Name)
                : ArgumentValue.Error(Unknown("environment", text, context.Config.Policy.Environments.Keys));
    }

    private sealed class VersionKind : ArgumentKind
    {
        public override string Name => "version";
        public override ArgumentValue Parse(string text, ArgumentContext context)
        {
            var t = text.StartsWith('v') || text.StartsWith('V') ? text[1..] : text;
            return SemanticVersionText.IsValid(t) ? ArgumentValue.Of(t) : ArgumentValue.Error($"'{text}' is not a semantic version (write it like 1.4.2 or 2.0.0-rc.1)");
        }
    }

    private sealed class EnumKind(string[] values) : ArgumentKind
    {
        public override string Name => string.Join("|", values);
        public override ArgumentValue Parse(string text, ArgumentContext context)
        {
            var match = values.FirstOrDefault(v => string.Equals(v, text, StringComparison.OrdinalIgnoreCase));
            return match is not null ? ArgumentValue.Of(match) : ArgumentValue.Error($"'{text}' is not one of {string.Join(", ", values)}" + DidYouMean(text, values));
        }
    }

    private sealed class NamedKind(string name, Func<ArgumentContext, IReadOnlyCollection<string>> known) : ArgumentKind
    {
        public override string Name => name;
        public override ArgumentValue Parse(string text, ArgumentContext context)
        {
            var names = known(context);
            var match = names.FirstOrDefault(v => string.Equals(v, text, StringComparison.OrdinalIgnoreCase));
            return match is not null ? ArgumentValue.Of(match) : ArgumentValue.Error(Unknown(name, text, names));
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

/// <summary>The result of parsing one argument: a value or an error sentence.</summary>
public readonly record struct ArgumentValue(object? Value, string? Problem)
{
    public static ArgumentValue Of(object value) => new(value, null);
    public static ArgumentValue Error(string problem) => new(null, problem);
}

/// <summary>Checks semantic version text (SemVer 2.0.0).</summary>
public static partial class SemanticVersionText
{
    [System.Text.RegularExpressions.GeneratedRegex(@"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$")]
    private static partial System.Text.RegularExpressions.Regex Pattern();

    public static bool IsValid(string text) => text.Length <= 128 && Pattern().IsMatch(text);
}
