namespace Capstan.Core.Policy;

/// <summary>Whether an action is allowed, and a sentence saying why.</summary>
public sealed record PolicyDecision(bool Allowed, string Reason, string? MissingPermission = null)
{
    public static PolicyDecision Allow(string reason) => new(true, reason);
}
