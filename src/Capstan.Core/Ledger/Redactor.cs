namespace Capstan.Core.Ledger;

/// <summary>Replaces known secret values with a placeholder wherever text leaves Capstan (chat, logs, ledger).</summary>
public sealed class Redactor
{
    private volatile string[] _secrets = [];
    private readonly Lock _gate = new();

    public const string Placeholder = "[redacted]";

    /// <summary>Registers secret values that must never appear in clear text (cheap when they are known already).</summary>
    public void Add(IEnumerable<string> secrets)
    {
        var fresh = secrets.Where(s => s.Length >= 4).ToList();
        if (fresh.All(_secrets.Contains)) return;
        lock (_gate) // two callers adding at once must not lose each other's secrets
            _secrets = _secrets.Concat(fresh).Distinct().OrderByDescending(s => s.Length).ToArray();
    }

    public string Redact(string text)
    {
        var secrets = _secrets;
        if (secrets.Length == 0 || string.IsNullOrEmpty(text)) return text;
        foreach (var s in secrets)
            if (text.Contains(s, StringComparison.Ordinal)) text = text.Replace(s, Placeholder, StringComparison.Ordinal);
        return text;
    }
}
