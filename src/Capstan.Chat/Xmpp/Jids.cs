using System.Xml.Linq;

namespace Capstan.Chat.Xmpp;

/// <summary>XMPP addresses (<c>local@domain/resource</c>) taken apart, and the error condition of a bounced stanza.</summary>
public static class Jids
{
    /// <summary>The address without its resource (<c>bob@example.org</c>), lower-cased where XMPP compares without case.</summary>
    public static string Bare(string jid)
    {
        var slash = jid.IndexOf('/');
        return (slash < 0 ? jid : jid[..slash]).ToLowerInvariant();
    }

    /// <summary>The resource (a room occupant's nickname), or null.</summary>
    public static string? Resource(string jid)
    {
        var slash = jid.IndexOf('/');
        return slash < 0 ? null : jid[(slash + 1)..];
    }

    /// <summary>Whether a text is a bare address <c>local@domain</c> (no resource, no spaces).</summary>
    public static bool IsBare(string text) =>
        text.Length <= 1023 && text.IndexOf('/') < 0 && !text.Any(char.IsWhiteSpace) && text.IndexOf('@') is > 0 && text.IndexOf('@') == text.LastIndexOf('@') && !text.EndsWith('@');

    public static (string Local, string Domain) Split(string bareJid)
    {
        var at = bareJid.IndexOf('@');
        return (bareJid[..at], bareJid[(at + 1)..]);
    }

    public static string ErrorCondition(XElement stanza) =>
        stanza.Element(XmppStream.Client + "error")?.Elements().FirstOrDefault(e => e.Name.LocalName != "text")?.Name.LocalName ?? "unknown error";
}
