namespace Capstan.Core;

/// <summary>The name of an app declared in the config repo (<c>apps/NAME.yaml</c>), as a command argument checked it.</summary>
public sealed record AppName(string Value)
{
    public override string ToString() => Value;
}
