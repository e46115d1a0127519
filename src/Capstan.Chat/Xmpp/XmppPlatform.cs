using Capstan.Chat.Adapters;
using Capstan.Chat.Platforms;
using Capstan.Core.Secrets;
using Microsoft.Extensions.DependencyInjection;

namespace Capstan.Chat.Xmpp;

/// <summary>
/// The XMPP entry: the account Capstan signs in as, its password secret, the rooms (multi-user chats) it joins; optionally the
/// server's host:port when DNS does not say it, the CA to trust for a server with its own certificate, and its nickname in rooms.
/// </summary>
public sealed record XmppSettings(IReadOnlyDictionary<string, string> Rooms, string Jid, SecretName Password, string Host, int Port, string? CaFile, string Nickname)
    : PlatformSettings("xmpp", Rooms);

/// <summary>XMPP (RFC 6120 client streams, XEP-0045 rooms), read from <c>platforms.xmpp</c>.</summary>
public sealed class XmppPlatform : IChatPlatform
{
    public string Name => "xmpp";

    public IReadOnlyList<string> Keys => ["jid", "password", "server", "caFile", "nickname"];

    public PlatformSettings Read(PlatformReading entry)
    {
        var jid = entry.Text("jid", required: true, example: "capstan@example.org") ?? "capstan@invalid";
        if (!Jids.IsBare(jid)) entry.Fail(entry.Node("jid"), $"platforms.xmpp.jid must be an account address such as capstan@example.org (no /resource), not '{jid}'");
        var password = entry.Secret("password", required: true) ?? new SecretName("missing");
        foreach (var (room, address) in entry.Rooms)
            if (!Jids.IsBare(address))
                entry.Fail(entry.Node("rooms"), $"platforms.xmpp.rooms.{room} must be a room address such as {room}@conference.example.org, not '{address}'");
        var host = Jids.IsBare(jid) ? Jids.Split(jid).Domain : "invalid";
        var port = 5222;
        if (entry.Text("server") is { } server)
        {
            var colon = server.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(server[(colon + 1)..], out port) || port is < 1 or > 65535 || server[..colon].Any(c => char.IsWhiteSpace(c) || c == '/'))
                entry.Fail(entry.Node("server"), $"platforms.xmpp.server must be host:port such as xmpp.example.org:5222, not '{server}'");
            else host = server[..colon];
        }
        var ca = entry.Text("caFile");
        if (ca is not null && !Path.IsPathRooted(ca)) entry.Fail(entry.Node("caFile"), $"platforms.xmpp.caFile must be an absolute path to a PEM file, not '{ca}'");
        var nickname = entry.Text("nickname") ?? "capstan";
        if (nickname.Length is 0 or > 64 || nickname.Any(char.IsControl)) entry.Fail(entry.Node("nickname"), "platforms.xmpp.nickname must be 1 to 64 printable characters");
        return new XmppSettings(entry.Rooms, Jids.Bare(jid), password, host, port, ca, nickname);
    }

    public IChatAdapter Create(PlatformSettings settings, IServiceProvider services) =>
        new XmppAdapter((XmppSettings)settings, services.GetRequiredService<SecretStore>());
}
