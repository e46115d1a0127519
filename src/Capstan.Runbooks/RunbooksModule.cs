using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Modules;
using Capstan.Runbooks.Chat;
using Capstan.Runbooks.Config;
using Capstan.Runbooks.Transfers;
using Microsoft.Extensions.DependencyInjection;

namespace Capstan.Runbooks;

/// <summary>
/// The runbooks module: runbooks, product checks, downloads (<c>fetch</c>), custom commands from commands/*.yaml
/// (registered by a hosted service when the services start, and again on every commit) and C# plugins from
/// DATA/plugins (loaded by another when the services start).
/// </summary>
public sealed class RunbooksModule : ICapstanModule
{
    /// <summary>The config section: runbooks/*.yaml and the <c>products:</c> key of capstan.yaml.</summary>
    public static readonly IConfigSection Section = new RunbooksSection();

    public string Name => "runbooks";
    public IReadOnlyList<IConfigSection> Sections => [Section];
    public IReadOnlyList<ICommandModule> Commands => [new RunbookCommands(), new FetchCommands()];
    public IReadOnlyList<Type> Events => [];
    public void AddServices(IServiceCollection services, ProcessRole role) => services.AddRunbooks();
    public Task PrepareAsync(IServiceProvider services, CancellationToken ct) => Task.CompletedTask;
}
