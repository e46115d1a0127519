using Capstan.Chat.Adapters;
using Capstan.Chat.Platforms;
using Capstan.Chat.Store;
using Capstan.Chat.Linking;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Capstan.Chat;

/// <summary>The chat module's services, for the module and for tests that compose a node with their own platforms.</summary>
public static class ChatServices
{
    /// <summary>Adds the store, the platforms and the adapter host (started with the server's hosted services).</summary>
    public static IServiceCollection AddChat(this IServiceCollection services, IReadOnlyList<IChatPlatform> platforms)
    {
        services.AddLinking();
        services.AddSingleton<IChatStore, ChatStore>();
        services.AddSingleton(platforms);
        services.AddSingleton<AdapterHost>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<AdapterHost>());
        return services;
    }

    /// <summary>Self-service linking (link codes and the commit that records a link); also in command-line processes, where `link` is answered.</summary>
    public static IServiceCollection AddLinking(this IServiceCollection services)
    {
        services.TryAddSingleton<LinkCodes>();
        services.TryAddSingleton<HandleLinker>();
        return services;
    }
}
