namespace Capstan.Core.Commands;

/// <summary>
/// A command with its arguments checked and typed, ready to authorise and run. Values are read through the
/// <see cref="Argument{T}"/> that declared them, so each comes back as the type its kind makes.
/// </summary>
public sealed class ParsedCommand
{
    private readonly IReadOnlyDictionary<string, object> _values;

    internal ParsedCommand(CommandSpec spec, IReadOnlyDictionary<string, object> values, IReadOnlySet<string> flags, string text)
    {
        Spec = spec;
        _values = values;
        Flags = flags;
        Text = text;
    }

    public CommandSpec Spec { get; }
    public IReadOnlySet<string> Flags { get; }
    public string Text { get; }

    /// <summary>A required argument's value (the parser refuses the command without it).</summary>
    public T Get<T>(Argument<T> argument) where T : notnull =>
        TryValue(argument, out var value) ? value : throw new InvalidOperationException($"'{Spec.Id}' was run without {argument.Name.ToUpperInvariant()}; declare it with Required to read it with Get.");

    /// <summary>An optional argument's value, or <paramref name="otherwise"/> when it was not given.</summary>
    public T Get<T>(Argument<T> argument, T otherwise) where T : notnull => TryValue(argument, out var value) ? value : otherwise;

    /// <summary>An optional argument's value, or null when it was not given.</summary>
    public T? Find<T>(Argument<T> argument) where T : class => TryValue(argument, out var value) ? value : null;

    public bool Has(FlagSpec flag) =>
        Spec.Flags.Contains(flag) ? Flags.Contains(flag.Name) : throw new InvalidOperationException($"'{Spec.Id}' has no flag --{flag.Name}.");

    /// <summary>The environment the command acts on, when it declares one; used to scope permissions.</summary>
    public string? Environment => Spec.EnvironmentArgument is { } a && _values.TryGetValue(a, out var v) && v is EnvironmentName e ? e.Value : null;

    /// <summary>Arguments as text, for the ledger.</summary>
    public IReadOnlyDictionary<string, string> ForLedger() =>
        _values.ToDictionary(kv => kv.Key, kv => kv.Value switch
        {
            TimeSpan t => DurationText.Format(t),
            DateTimeOffset d => d.ToString("O"),
            _ => Convert.ToString(kv.Value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
        });

    // False when the argument was not given; a handler asking for one its command does not declare is a bug, said at once.
    private bool TryValue<T>(Argument<T> argument, out T value) where T : notnull
    {
        if (!Spec.Arguments.Any(a => string.Equals(a.Name, argument.Name, StringComparison.OrdinalIgnoreCase)))
            throw new InvalidOperationException($"'{Spec.Id}' declares no argument {argument.Name.ToUpperInvariant()}.");
        value = default!;
        if (!_values.TryGetValue(argument.Name, out var stored)) return false;
        if (stored is not T typed)
            throw new InvalidOperationException($"'{Spec.Id}' holds {argument.Name.ToUpperInvariant()} as {stored.GetType().Name}, not {typeof(T).Name}; its declaration and its handler use different arguments.");
        value = typed;
        return true;
    }
}
