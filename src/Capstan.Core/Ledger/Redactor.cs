namespace Capstan.Core.Ledger;

/// <summary>Replaces known secret values with a placeholder wherever text leaves Capstan (chat, logs, ledger).</summary>
public sealed class Redactor
{
    private volatile string[] _secrets = [];

    public const string Placeholder = "[redacted]";

    /// <summary>Registers secret values that must never appear in clear text.</summary>
    public void Add(IEnumerable<string> secrets)
    {
        var merged = _secrets.Concat(secrets.Where(s => s.Length >= 4)).Distinct().OrderByDescending(s => s.Length).ToArray();
        _secrets = merged;
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
