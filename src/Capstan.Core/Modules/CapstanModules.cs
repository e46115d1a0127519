using Capstan.Core.Commands;
using Capstan.Core.Config;
using Microsoft.Extensions.DependencyInjection;

namespace Capstan.Core.Modules;

/// <summary>
/// The modules a Capstan process is made of, in order, and everything derived from that one list: the config
/// sections, the command registry, the services and the start-up preparation. The order is kept everywhere
/// (sections seed the demo configuration in it; commands are listed in it).
/// </summary>
public sealed class CapstanModules
{
    public CapstanModules(IReadOnlyList<ICapstanModule> modules)
    {
        if (modules.GroupBy(m => m.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new ArgumentException($"Two modules are named '{twice.Key}' ({string.Join(", ", twice.Select(m => m.GetType().Name))}); each module needs a name of its own.", nameof(modules));
        All = modules;
    }

    /// <summary>The modules, in the order they were given.</summary>
    public IReadOnlyList<ICapstanModule> All { get; }

    /// <summary>Every module's configuration sections.</summary>
    public IReadOnlyList<IConfigSection> Sections => [.. All.SelectMany(m => m.Sections)];

    /// <summary>The declared records of every kind of ledger entry the modules write.</summary>
    public IReadOnlyList<Type> Events => [.. All.SelectMany(m => m.Events)];

    /// <summary>Adds every module's commands to <paramref name="registry"/>.</summary>
    public void Register(CommandRegistry registry)
    {
        foreach (var m in All) registry.Register(m);
    }

    /// <summary>Adds every module's services (and this list, for the parts that serve all modules, such as the web host).</summary>
    public IServiceCollection AddServices(IServiceCollection services, ProcessRole role)
    {
        services.AddSingleton(this);
        foreach (var m in All) m.AddServices(services, role);
        return services;
    }

    /// <summary>Runs every module's start-up preparation, in order (see <see cref="ICapstanModule.PrepareAsync"/>).</summary>
    public async Task PrepareAsync(IServiceProvider services, CancellationToken ct)
    {
        foreach (var m in All) await m.PrepareAsync(services, ct);
    }
}

/// <summary>Registers one module's commands (tests and tools that open a node with a single module).</summary>
public static class ModuleCommands
{
    public static void Register(this CommandRegistry registry, ICapstanModule module)
    {
        foreach (var c in module.Commands) c.Register(registry);
    }
}
