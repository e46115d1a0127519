namespace Capstan.Chat.Platforms;

/// <summary>Every chat platform Capstan can join, one line each (each is a folder of this project).</summary>
public static class ChatPlatforms
{
    public static IReadOnlyList<IChatPlatform> All { get; } =
    [
        new Mattermost.MattermostPlatform(),
        new Matrix.MatrixPlatform(),
        new Irc.IrcPlatform(),
        new Xmpp.XmppPlatform(),
    ];
}
