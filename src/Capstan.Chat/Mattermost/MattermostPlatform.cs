using Capstan.Chat.Adapters;
using Capstan.Chat.Platforms;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Capstan.Chat.Mattermost;

/// <summary>
/// Mattermost: REST v4 for messages, the WebSocket event stream for what people say, and
/// <c>POST /hooks/mattermost/actions</c> for the buttons' clicks (which the Mattermost server sends, unsigned: each button
/// carries an unguessable offer id that Capstan looks up).
/// </summary>
public sealed class MattermostPlatform : IChatPlatform
{
    private volatile MattermostAdapter? _current;

    public string Name => "mattermost";

    public IReadOnlyList<string> Keys => ["url", "token", "actionsUrl"];

    /// <summary>The adapter of the configured server, if Mattermost is configured (the actions endpoint answers 404 otherwise).</summary>
    internal MattermostAdapter? Current => _current;

    public PlatformSettings Read(PlatformReading entry)
    {
        var url = entry.Url("url", required: true, example: "https://mm.example.org");
        var token = entry.Secret("token", required: true);
        var actions = entry.Url("actionsUrl", example: "https://capstan.example.org" + MattermostSettings.ActionsPath);
        foreach (var (room, channel) in entry.Rooms)
            if (!MattermostChannels.ValidName(channel))
                entry.Fail(entry.Node("rooms"), $"platforms.mattermost.rooms.{room} must be team/channel as in the channel's address (https://mm.example.org/TEAM/channels/CHANNEL) or a channel id, not '{channel}'");
        return new MattermostSettings(entry.Rooms, url ?? new Uri("https://missing.invalid"), token ?? new SecretName("missing"), actions);
    }

    public IChatAdapter Create(PlatformSettings settings, IServiceProvider services)
    {
        var adapter = new MattermostAdapter((MattermostSettings)settings, services, gone => Interlocked.CompareExchange(ref _current, null, gone));
        _current = adapter;
        return adapter;
    }

    public void MapEndpoints(IEndpointRouteBuilder app)
    {
        var actions = new MattermostActions(() => _current);
        app.MapPost(MattermostSettings.ActionsPath, (Func<HttpContext, Task<IResult>>)actions.ClickAsync);
    }
}
