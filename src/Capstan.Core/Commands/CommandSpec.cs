namespace Capstan.Core.Commands;

/// <summary>What running a command does to the world; decides auditing and confirmation.</summary>
public enum SideEffect
{
    /// <summary>Only looks.</summary>
    Read,
    /// <summary>Changes something that can be changed back.</summary>
    Change,
    /// <summary>Changes something that cannot easily be undone; asks for confirmation by default.</summary>
    Destructive,
}

/// <summary>When a command asks "confirm ID" before it runs.</summary>
public enum ConfirmationPolicy
{
    /// <summary>Destructive commands confirm, others do not.</summary>
    BySideEffect,
    Always,
    Never,
}

/// <summary>One declared argument: positional, introduced by a keyword (in ROOM, to ENV), or the rest of the line.</summary>
public sealed record ArgumentSpec(string Name, ArgumentKind Kind, bool Required, string? Keyword, bool Rest, string Description)
{
    /// <summary>How the argument appears in usage lines: APP, [in ROOM], [TEXT…].</summary>
    public string Usage
    {
        get
        {
            var slot = Name.ToUpperInvariant() + (Rest ? "…" : "");
            var text = Keyword is null ? slot : $"{Keyword} {slot}";
            return Required ? text : $"[{text}]";
        }
    }
}

/// <summary>A boolean --flag.</summary>
public sealed record FlagSpec(string Name, string Description);

/// <summary>Runs a parsed, authorised command.</summary>
public delegate Task<CommandResult> CommandHandler(CommandContext context);

/// <summary>
/// A command as declared in the registry: its words, arguments, permission, side-effect class and handler.
/// Built fluently: <c>new CommandSpec("history", "Ledger", "Search the ledger").Optional("count", ArgumentKind.Int)…</c>.
/// </summary>
public sealed class CommandSpec(string id, string group, string summary)
{
    private readonly List<ArgumentSpec> _arguments = [];
    private readonly List<FlagSpec> _flags = [];
    private readonly List<string> _aliases = [];
    private readonly List<string> _examples = [];

    public string Id { get; } = id;
    public string Group { get; } = group;
    public string Summary { get; } = summary;
    public IReadOnlyList<string> Aliases => _aliases;
    public IReadOnlyList<ArgumentSpec> Arguments => _arguments;
    public IReadOnlyList<FlagSpec> Flags => _flags;
    public IReadOnlyList<string> Examples => _examples;
    public string? Permission { get; private set; }
    public SideEffect Effect { get; private set; } = SideEffect.Read;
    public ConfirmationPolicy Confirmation { get; private set; } = ConfirmationPolicy.BySideEffect;
    public string? EnvironmentArgument { get; private set; }
    public string? Details { get; private set; }
    public CommandHandler Handler { get; private set; } = _ => Task.FromResult(CommandResult.Fail("this command has no handler"));

    public bool NeedsConfirmation => Confirmation == ConfirmationPolicy.Always || (Confirmation == ConfirmationPolicy.BySideEffect && Effect == SideEffect.Destructive);

    public string Usage => string.Join(' ', new[] { Id }.Concat(_arguments.Select(a => a.Usage)).Concat(_flags.Select(f => $"[--{f.Name}]")));

    public CommandSpec Alias(params string[] aliases) { _aliases.AddRange(aliases); return this; }
    public CommandSpec Required(string name, ArgumentKind kind, string description = "") => Add(new(name, kind, true, null, false, description));
    public CommandSpec Optional(string name, ArgumentKind kind, string description = "") => Add(new(name, kind, false, null, false, description));
    public CommandSpec Keyword(string keyword, string name, ArgumentKind kind, bool required = false, string description = "") => Add(new(name, kind, required, keyword, false, description));
    public CommandSpec Rest(string name, bool required, string description = "") => Add(new(name, ArgumentKind.Text, required, null, true, description));
    public CommandSpec Flag(string name, string description) { _flags.Add(new(name, description)); return this; }
    public CommandSpec Example(params string[] examples) { _examples.AddRange(examples); return this; }
    public CommandSpec Needs(string permission) { Permission = permission; return this; }
    public CommandSpec Effects(SideEffect effect) { Effect = effect; return this; }
    public CommandSpec Confirm(ConfirmationPolicy policy) { Confirmation = policy; return this; }
    public CommandSpec ScopedBy(string environmentArgument) { EnvironmentArgument = environmentArgument; return this; }
    public CommandSpec Describe(string details) { Details = details; return this; }
    public CommandSpec Runs(CommandHandler handler) { Handler = handler; return this; }

    private CommandSpec Add(ArgumentSpec a)
    {
        if (_arguments.Any(x => x.Rest)) throw new InvalidOperationException($"{Id}: the rest-of-line argument must come last");
        _arguments.Add(a);
        if (a.Kind == ArgumentKind.Environment && EnvironmentArgument is null) EnvironmentArgument = a.Name;
        return this;
    }
}
