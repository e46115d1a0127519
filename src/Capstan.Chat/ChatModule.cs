using Capstan.Core.Ledger.Events;
using Capstan.Chat.Linking;
using Capstan.Chat.Platforms;
using Capstan.Chat.Web;
using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Modules;
using Capstan.Web;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Capstan.Chat;

/// <summary>
/// The chat platforms module: Slack, Mattermost, Matrix, IRC and XMPP adapters running at once in one server, each
/// person's handles mapped to one identity, and the adapters' state (<c>capstan adapters</c>, the adapters page).
/// </summary>
public sealed class ChatModule(IReadOnlyList<IChatPlatform>? platforms = null) : IWebModule
{
    private readonly IReadOnlyList<IChatPlatform> _platforms = platforms ?? ChatPlatforms.All;

    public string Name => "chat";
    public IReadOnlyList<IConfigSection> Sections => [new PlatformsSection(_platforms)];
    public IReadOnlyList<ICommandModule> Commands => [new ChatCommands()];
    public IReadOnlyList<Type> Events => [typeof(HandleLinkAsked), typeof(HandleLinked), typeof(HandleLinkRefused)];
    public IReadOnlyList<NavigationLink> Navigation => [new("/adapters", "Adapters", 700)];

    /// <summary>The adapters run in the server only; a command-line process answers without connecting anywhere.</summary>
    public void AddServices(IServiceCollection services, ProcessRole role)
    {
        services.AddLinking();
        if (role == ProcessRole.Server) services.AddChat(_platforms);
    }

    public Task PrepareAsync(IServiceProvider services, CancellationToken ct) => Task.CompletedTask;

    public void MapEndpoints(IEndpointRouteBuilder app)
    {
        app.MapChatPages();
        foreach (var p in _platforms) p.MapEndpoints(app);
    }
}
