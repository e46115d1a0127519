using Capstan.Chat.Platforms;

namespace Capstan.Chat.Irc;

/// <summary>
/// Capstan's IRC connection as configured under <c>platforms.irc</c>: the server, TLS (verified unless
/// <paramref name="TlsVerify"/> is off; <paramref name="CaFile"/> trusts a private CA), the nick it asks for, an optional SASL
/// PLAIN login, and the pace of its lines (<paramref name="Burst"/> at once, then <paramref name="PerSecond"/>).
/// </summary>
public sealed record IrcSettings(IReadOnlyDictionary<string, string> Rooms, string Host, int Port, bool Tls, bool TlsVerify, string? CaFile,
    string Nick, string? SaslUser, SecretName? SaslPassword, int Burst, double PerSecond) : PlatformSettings("irc", Rooms)
{
    /// <summary>Whether a channel is one of the mapped ones (invites to others are declined).</summary>
    public bool Maps(string channel) => Rooms.Values.Any(c => string.Equals(c, channel, StringComparison.OrdinalIgnoreCase));
}
