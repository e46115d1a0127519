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

/// <summary>A boolean --flag, declared once: the command lists it (<c>.Flag(Keep)</c>) and its handler asks <c>ctx.Has(Keep)</c>.</summary>
public sealed record FlagSpec(string Name, string Description);

/// <summary>Runs a parsed, authorised command.</summary>
public delegate Task<CommandResult> CommandHandler(CommandContext context);

/// <summary>
/// A command as declared in the registry: its words, arguments, permission, side-effect class and handler.
/// Built fluently: <c>new CommandSpec("history", "Ledger", "Search the ledger").Optional(Count)….Runs&lt;Ledger&gt;(History)</c>,
/// where <c>Count</c> is an <see cref="Argument{T}"/> and the handler receives the <c>Ledger</c> it asked for.
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
    public CommandSpec Required<T>(Argument<T> argument, string description = "") where T : notnull => Add(new(argument.Name, argument.Kind, true, null, false, description));
    public CommandSpec Optional<T>(Argument<T> argument, string description = "") where T : notnull => Add(new(argument.Name, argument.Kind, false, null, false, description));
    public CommandSpec Keyword<T>(string keyword, Argument<T> argument, bool required = false, string description = "") where T : notnull => Add(new(argument.Name, argument.Kind, required, keyword, false, description));
    /// <summary>The rest of the line, spaces and all.</summary>
    public CommandSpec Rest(Argument<string> argument, bool required, string description = "") => Add(new(argument.Name, argument.Kind, required, null, true, description));
    public CommandSpec Flag(FlagSpec flag) { _flags.Add(flag); return this; }
    public CommandSpec Example(params string[] examples) { _examples.AddRange(examples); return this; }
    public CommandSpec Needs(string permission) { Permission = permission; return this; }
    public CommandSpec Effects(SideEffect effect) { Effect = effect; return this; }
    public CommandSpec Confirm(ConfirmationPolicy policy) { Confirmation = policy; return this; }
    /// <summary>Scopes the permission by this environment argument (the first environment argument does so by default).</summary>
    public CommandSpec ScopedBy(Argument<EnvironmentName> environment) { EnvironmentArgument = environment.Name; return this; }
    public CommandSpec Describe(string details) { Details = details; return this; }
    public CommandSpec Runs(CommandHandler handler) { Handler = handler; return this; }

    // A handler names the services it uses; they are resolved from the node's services when the command runs (not
    // when it is declared), so a registry for docs and help needs no data folder, and a missing one is a clear error.
    public CommandSpec Runs<TService>(Func<CommandContext, TService, Task<CommandResult>> handler) where TService : notnull =>
        Runs(ctx => handler(ctx, ctx.Resolve<TService>()));
    public CommandSpec Runs<T1, T2>(Func<CommandContext, T1, T2, Task<CommandResult>> handler) where T1 : notnull where T2 : notnull =>
        Runs(ctx => handler(ctx, ctx.Resolve<T1>(), ctx.Resolve<T2>()));
    public CommandSpec Runs<T1, T2, T3>(Func<CommandContext, T1, T2, T3, Task<CommandResult>> handler) where T1 : notnull where T2 : notnull where T3 : notnull =>
        Runs(ctx => handler(ctx, ctx.Resolve<T1>(), ctx.Resolve<T2>(), ctx.Resolve<T3>()));
    public CommandSpec Runs<T1, T2, T3, T4>(Func<CommandContext, T1, T2, T3, T4, Task<CommandResult>> handler) where T1 : notnull where T2 : notnull where T3 : notnull where T4 : notnull =>
        Runs(ctx => handler(ctx, ctx.Resolve<T1>(), ctx.Resolve<T2>(), ctx.Resolve<T3>(), ctx.Resolve<T4>()));

    private CommandSpec Add(ArgumentSpec a)
    {
        if (_arguments.Any(x => x.Rest)) throw new InvalidOperationException($"{Id}: the rest-of-line argument must come last");
        _arguments.Add(a);
        if (a.Kind == ArgumentKind.Environment && EnvironmentArgument is null) EnvironmentArgument = a.Name;
        return this;
    }
}
