namespace Capstan.Core.Commands;

/// <summary>A command with its arguments checked and typed, ready to authorise and run.</summary>
public sealed class ParsedCommand(CommandSpec spec, IReadOnlyDictionary<string, object> arguments, IReadOnlySet<string> flags, string text)
{
    public CommandSpec Spec { get; } = spec;
    public IReadOnlyDictionary<string, object> Arguments { get; } = arguments;
    public IReadOnlySet<string> Flags { get; } = flags;
    public string Text { get; } = text;

    public T Get<T>(string name) => Arguments.TryGetValue(name, out var v) ? (T)v : throw new KeyNotFoundException($"{Spec.Id} has no value for {name}");
    public T? Find<T>(string name) where T : class => Arguments.TryGetValue(name, out var v) ? (T)v : null;
    public T? FindValue<T>(string name) where T : struct => Arguments.TryGetValue(name, out var v) ? (T)v : null;
    public bool Has(string flag) => Flags.Contains(flag);

    /// <summary>The environment the command acts on, when it declares one; used to scope permissions.</summary>
    public string? Environment => Spec.EnvironmentArgument is { } a && Arguments.TryGetValue(a, out var v) ? v as string : null;

    /// <summary>Arguments as text, for the ledger.</summary>
    public IReadOnlyDictionary<string, string> ForLedger() =>
        Arguments.ToDictionary(kv => kv.Key, kv => kv.Value switch
        {
            TimeSpan t => DurationText.Format(t),
            DateTimeOffset d => d.ToString("O"),
            _ => Convert.ToString(kv.Value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
        });
}
