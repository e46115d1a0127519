namespace Capstan.Core;

/// <summary>
/// The name of an environment declared under <c>environments:</c> in capstan.yaml, spelled as declared; permissions
/// are scoped by it.
/// </summary>
public sealed record EnvironmentName(string Value)
{
    public override string ToString() => Value;
}
