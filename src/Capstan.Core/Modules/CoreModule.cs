using Capstan.Core.Commands;
using Capstan.Core.Config;
using Microsoft.Extensions.DependencyInjection;

namespace Capstan.Core.Modules;

/// <summary>
/// Core's own commands (help, history, whoami, jobs, …) as a module. Core's configuration (people, roles,
/// environments) and services are the node's (<c>CapstanNode</c>), so it adds nothing else.
/// </summary>
public sealed class CoreModule : ICapstanModule
{
    public string Name => "core";
    public IReadOnlyList<IConfigSection> Sections => [];
    public IReadOnlyList<ICommandModule> Commands => [new CoreCommands()];
    public IReadOnlyList<Type> Events => [typeof(Ledger.Events.JobFinished)];
    public void AddServices(IServiceCollection services, ProcessRole role) { }
    public Task PrepareAsync(IServiceProvider services, CancellationToken ct) => Task.CompletedTask;
}
