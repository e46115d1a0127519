using NSec.Cryptography;

namespace Capstan.Core.Ledger.Anchors;

/// <summary>
/// The Ed25519 key the server signs ledger anchors with, kept outside the database: from <c>CAPSTAN_LEDGER_KEY</c>
/// (the 32-byte private key in base64) when set, else from <c>DATA/ledger-signing.key</c> (mode 0600, created on
/// first start). Anchors carry the public key as <c>ed25519:BASE64</c>.
/// </summary>
public sealed class LedgerSigningKey : IDisposable
{
    public const string EnvironmentVariable = "CAPSTAN_LEDGER_KEY";
    private const string Prefix = "ed25519:";
    private static readonly SignatureAlgorithm Algorithm = SignatureAlgorithm.Ed25519;
    private readonly Key _key;

    /// <summary>The public key as anchors record it: <c>ed25519:BASE64</c>.</summary>
    public string PublicKey { get; }

    /// <summary>Where the key came from, for messages (a file path or the environment variable's name).</summary>
    public string Source { get; }

    private LedgerSigningKey(Key key, string source)
    {
        _key = key;
        Source = source;
        PublicKey = Prefix + Convert.ToBase64String(key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
    }

    /// <summary>The key from the environment or the data folder's key file, or null when neither exists.</summary>
    public static LedgerSigningKey? TryLoad(DataFolder data)
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } text) return FromText(text, EnvironmentVariable);
        return File.Exists(data.LedgerKeyFile) ? FromText(File.ReadAllText(data.LedgerKeyFile), data.LedgerKeyFile) : null;
    }

    /// <summary>Creates a new key in the data folder's key file (mode 0600); a key another process created first wins.</summary>
    public static LedgerSigningKey CreateFile(DataFolder data)
    {
        using var created = Key.Create(Algorithm, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        var temp = data.LedgerKeyFile + ".new";
        if (File.Exists(temp)) File.Delete(temp);
        PrivateFolder.WriteText(temp, Convert.ToBase64String(created.Export(KeyBlobFormat.RawPrivateKey)) + "\n");
        try
        {
            File.Move(temp, data.LedgerKeyFile, overwrite: false);
        }
        catch (IOException) when (File.Exists(data.LedgerKeyFile))
        {
            File.Delete(temp);
        }
        return FromText(File.ReadAllText(data.LedgerKeyFile), data.LedgerKeyFile);
    }

    /// <summary>A key from its text form: the 32-byte private key in base64.</summary>
    public static LedgerSigningKey FromText(string text, string source)
    {
        byte[] seed;
        try { seed = Convert.FromBase64String(text.Trim()); }
        catch (FormatException) { seed = []; }
        if (seed.Length != 32 || !Key.TryImport(Algorithm, seed, KeyBlobFormat.RawPrivateKey, out var key) || key is null)
            throw new InvalidOperationException($"{source} does not hold a ledger signing key (one line: a 32-byte Ed25519 private key in base64). " +
                "Restore it from your backup; a new key makes `capstan ledger verify` report that the key changed.");
        return new LedgerSigningKey(key, source);
    }

    public byte[] Sign(ReadOnlySpan<byte> data) => Algorithm.Sign(_key, data);

    /// <summary>Whether <paramref name="signature"/> is <paramref name="publicKey"/>'s (<c>ed25519:BASE64</c>) signature of <paramref name="data"/>.</summary>
    public static bool Verify(string publicKey, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (!publicKey.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        byte[] raw;
        try { raw = Convert.FromBase64String(publicKey[Prefix.Length..]); }
        catch (FormatException) { return false; }
        return raw.Length == 32 && NSec.Cryptography.PublicKey.TryImport(Algorithm, raw, KeyBlobFormat.RawPublicKey, out var key) && key is not null
            && Algorithm.Verify(key, data, signature);
    }

    public void Dispose() => _key.Dispose();
}
