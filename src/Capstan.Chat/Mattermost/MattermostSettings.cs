using Capstan.Chat.Platforms;

namespace Capstan.Chat.Mattermost;

/// <summary>
/// One Mattermost server: its address, the bot's access token (a secret's name) and, optionally, the address the Mattermost
/// server calls when someone clicks a button (<c>actionsUrl</c>; by default the web UI's address + <c>/hooks/mattermost/actions</c>).
/// Rooms are <c>team/channel</c> names or raw channel ids.
/// </summary>
public sealed record MattermostSettings(IReadOnlyDictionary<string, string> Rooms, Uri Url, SecretName Token, Uri? ActionsUrl)
    : PlatformSettings("mattermost", Rooms)
{
    /// <summary>Where the buttons' clicks arrive (relative to Capstan's web address).</summary>
    public const string ActionsPath = "/hooks/mattermost/actions";

    /// <summary>The REST API's base (<c>https://mm.example.org/api/v4/</c>).</summary>
    public Uri Api => new(Url.ToString().TrimEnd('/') + "/api/v4/");
}
