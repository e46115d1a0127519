namespace Capstan.Core.Commands;

/// <summary>
/// A command argument declared once with its name and kind: the command declares it
/// (<c>.Required(App)</c>, <c>.Keyword("to", Env)</c>) and its handler reads it back typed (<c>ctx.Get(App)</c> is an
/// <see cref="AppName"/>), with no name to spell twice and no cast.
/// </summary>
public sealed record Argument<T>(string Name, ArgumentKind<T> Kind) where T : notnull;
