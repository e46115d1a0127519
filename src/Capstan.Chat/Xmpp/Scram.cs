using System.Security.Cryptography;
using System.Text;

namespace Capstan.Chat.Xmpp;

/// <summary>
/// The client side of SASL SCRAM (RFC 5802) with SHA-1 or SHA-256: the password never crosses the wire, and the server
/// proves it knows the password too (its signature is checked before the session is trusted).
/// </summary>
internal sealed class Scram(HashAlgorithmName hash, string user, string password, string? nonce = null)
{
    private readonly string _nonce = nonce ?? Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
    private string _clientFirstBare = "";
    private byte[] _serverSignature = [];

    public static string MechanismOf(HashAlgorithmName hash) => hash == HashAlgorithmName.SHA256 ? "SCRAM-SHA-256" : "SCRAM-SHA-1";

    public string ClientFirst()
    {
        _clientFirstBare = "n=" + user.Replace("=", "=3D", StringComparison.Ordinal).Replace(",", "=2C", StringComparison.Ordinal) + ",r=" + _nonce;
        return "n,," + _clientFirstBare;
    }

    /// <summary>The answer to the server's challenge (its nonce, salt and iteration count), with the client's proof.</summary>
    public string ClientFinal(string serverFirst)
    {
        var fields = Fields(serverFirst);
        if (!fields.TryGetValue('r', out var nonce) || !nonce.StartsWith(_nonce, StringComparison.Ordinal)
            || !fields.TryGetValue('s', out var salt) || !fields.TryGetValue('i', out var iterationsText)
            || !int.TryParse(iterationsText, out var iterations) || iterations is < 1 or > 1_000_000)
            throw new InvalidDataException("The XMPP server's SCRAM challenge is malformed; Capstan did not answer it.");
        var salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), Convert.FromBase64String(salt), iterations, hash, HashSize);
        var clientKey = Hmac(salted, "Client Key");
        var storedKey = hash == HashAlgorithmName.SHA256 ? SHA256.HashData(clientKey) : SHA1.HashData(clientKey);
        var withoutProof = "c=biws,r=" + nonce;
        var authMessage = _clientFirstBare + "," + serverFirst + "," + withoutProof;
        var signature = Hmac(storedKey, authMessage);
        var proof = new byte[clientKey.Length];
        for (var i = 0; i < proof.Length; i++) proof[i] = (byte)(clientKey[i] ^ signature[i]);
        _serverSignature = Hmac(Hmac(salted, "Server Key"), authMessage);
        return withoutProof + ",p=" + Convert.ToBase64String(proof);
    }

    /// <summary>Whether the server's final message carries the signature only a server knowing the password can make.</summary>
    public bool ServerIsGenuine(string serverFinal) =>
        Fields(serverFinal).TryGetValue('v', out var v) && CryptographicOperations.FixedTimeEquals(Convert.FromBase64String(v), _serverSignature);

    private int HashSize => hash == HashAlgorithmName.SHA256 ? 32 : 20;

    private byte[] Hmac(byte[] key, string text) => hash == HashAlgorithmName.SHA256
        ? HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(text))
        : HMACSHA1.HashData(key, Encoding.UTF8.GetBytes(text));

    private static Dictionary<char, string> Fields(string message) =>
        message.Split(',').Where(f => f.Length >= 2 && f[1] == '=').GroupBy(f => f[0]).ToDictionary(g => g.Key, g => g.First()[2..]);
}
