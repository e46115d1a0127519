namespace Capstan.Core.Config;

/// <summary>The configuration in force now (the last good one) and the last problem, if the newest commit was refused.</summary>
public sealed class ConfigState(ConfigSnapshot initial)
{
    private volatile ConfigSnapshot _current = initial;

    public ConfigSnapshot Current => _current;

    /// <summary>Errors of the newest commit when it was refused; null when the newest commit is in force.</summary>
    public RejectedConfig? Rejected { get; private set; }

    /// <summary>Raised after a new configuration is in force.</summary>
    public event Action<ConfigSnapshot>? Changed;

    public void Accept(ConfigSnapshot snapshot)
    {
        _current = snapshot;
        Rejected = null;
        Changed?.Invoke(snapshot);
    }

    public void Reject(RejectedConfig rejected) => Rejected = rejected;
}

/// <summary>A commit whose configuration could not be used, and why.</summary>
public sealed record RejectedConfig(string Commit, string Author, IReadOnlyList<ConfigError> Errors);
