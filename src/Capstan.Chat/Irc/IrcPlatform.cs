using System.Globalization;
using Capstan.Chat.Adapters;
using Capstan.Chat.Platforms;

namespace Capstan.Chat.Irc;

/// <summary>IRC (RFC 1459/2812 with IRCv3 capabilities): one connection to one network, the mapped channels joined.</summary>
public sealed class IrcPlatform(IrcTimings? timings = null) : IChatPlatform
{
    public string Name => "irc";

    public IReadOnlyList<string> Keys => ["server", "tls", "tlsVerify", "caFile", "nick", "sasl", "flood"];

    public PlatformSettings Read(PlatformReading entry)
    {
        var server = entry.Text("server", required: true, example: "irc.example.org:6697") ?? "";
        var tls = entry.Bool("tls") ?? true;
        var (host, port) = ParseServer(entry, server, tls);
        var caFile = entry.Text("caFile");
        if (caFile is not null && !Path.IsPathFullyQualified(caFile))
            entry.Fail(entry.Node("caFile"), $"platforms.irc.caFile must be an absolute path to a PEM file, not '{caFile}'");
        var nick = entry.Text("nick") ?? "capstan";
        if (!IrcNick.Valid(nick))
            entry.Fail(entry.Node("nick"), $"platforms.irc.nick '{nick}' is not a valid IRC nick: use letters, digits and -[]\\`^{{}}_|, starting with a letter, at most 30 characters");
        string? saslUser = null;
        SecretName? saslPassword = null;
        if (entry.Node("sasl") is { } saslNode)
        {
            var sasl = new PlatformReading(entry.Yaml, entry.Yaml.Map(saslNode, "platforms.irc.sasl"), "irc.sasl", entry.Rooms);
            entry.Yaml.OnlyKeys(sasl.Entry, "platforms.irc.sasl", "user", "password");
            saslUser = sasl.Text("user", required: true, example: "capstan");
            saslPassword = sasl.Secret("password", required: true);
        }
        var burst = 5;
        var perSecond = 2.0;
        if (entry.Node("flood") is { } floodNode)
        {
            var flood = new PlatformReading(entry.Yaml, entry.Yaml.Map(floodNode, "platforms.irc.flood"), "irc.flood", entry.Rooms);
            entry.Yaml.OnlyKeys(flood.Entry, "platforms.irc.flood", "burst", "perSecond");
            burst = (int)Number(flood, "burst", burst, 1, 100);
            perSecond = Number(flood, "perSecond", perSecond, 0.1, 1000);
        }
        foreach (var (room, channel) in entry.Rooms)
            if (!IrcNick.IsChannel(channel))
                entry.Fail(entry.Node("rooms"), $"platforms.irc.rooms.{room} must be an IRC channel such as \"#{room}\" (quote it: YAML reads # as a comment), not '{channel}'");
        return new IrcSettings(entry.Rooms, host, port, tls, entry.Bool("tlsVerify") ?? true, caFile, nick, saslUser, saslPassword, burst, perSecond);
    }

    /// <summary>Told of each adapter made (the tests read its nick and flood counters).</summary>
    internal Action<IrcAdapter>? Created { get; set; }

    public IChatAdapter Create(PlatformSettings settings, IServiceProvider services)
    {
        var adapter = new IrcAdapter((IrcSettings)settings, services, timings ?? IrcTimings.Default);
        Created?.Invoke(adapter);
        return adapter;
    }

    private static (string Host, int Port) ParseServer(PlatformReading entry, string server, bool tls)
    {
        var colon = server.LastIndexOf(':');
        var host = colon < 0 ? server : server[..colon];
        var port = tls ? 6697 : 6667;
        if (colon >= 0 && (!int.TryParse(server[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
            entry.Fail(entry.Node("server"), $"platforms.irc.server must be host:port such as irc.example.org:6697, and '{server[(colon + 1)..]}' is not a port");
        if (host.Length == 0 || host.Any(c => char.IsWhiteSpace(c) || c is '/' or '@'))
            entry.Fail(entry.Node("server"), $"platforms.irc.server must be host:port such as irc.example.org:6697, not '{server}'");
        return (host, port);
    }

    private static double Number(PlatformReading reading, string key, double fallback, double min, double max)
    {
        var text = reading.Text(key);
        if (text is null) return fallback;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max) return value;
        reading.Fail(reading.Node(key), $"platforms.{reading.Platform}.{key} must be a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}, not '{text}'");
        return fallback;
    }
}

/// <summary>How long Capstan waits on an IRC server: a quiet connection gets a PING after <paramref name="PingAfter"/> and is ended when nothing comes back within <paramref name="PingTimeout"/>.</summary>
public sealed record IrcTimings(TimeSpan PingAfter, TimeSpan PingTimeout, TimeSpan ConnectTimeout)
{
    public static readonly IrcTimings Default = new(TimeSpan.FromSeconds(90), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(30));
}
