using Capstan.Core.Commands;
using Capstan.Core.Config;
using Microsoft.Extensions.DependencyInjection;

namespace Capstan.Core.Modules;

/// <summary>
/// One part of Capstan (delivery, runbooks, incidents, indicators, …), plugged in with one line in the composition
/// root: everything the module adds to a process is declared here, and nothing outside the module names its types.
/// A module with pages or HTTP endpoints also implements <c>Capstan.Web.IWebModule</c>.
/// </summary>
public interface ICapstanModule
{
    /// <summary>A short lower-case name for messages about the module (<c>incidents</c>).</summary>
    string Name { get; }

    /// <summary>Its part of the configuration: keys of capstan.yaml and folders of the config repo, checked on every commit.</summary>
    IReadOnlyList<IConfigSection> Sections { get; }

    /// <summary>Its chat commands.</summary>
    IReadOnlyList<ICommandModule> Commands { get; }

    /// <summary>
    /// The declared records (types) of the ledger entries this module writes, which other modules read through Core
    /// and `capstan docs events` lists (docs/ledger-events.md). Every record in Capstan.Core/Ledger/Events is listed by one module.
    /// </summary>
    IReadOnlyList<Type> Events { get; }

    /// <summary>
    /// Adds its services (stores, read models) and its background work (hosted services) after the node's own
    /// (<c>CapstanNode.AddTo</c>). <paramref name="role"/> says which process they are added to.
    /// </summary>
    void AddServices(IServiceCollection services, ProcessRole role);

    /// <summary>
    /// What a process that answers chat without starting the hosted services (<see cref="ProcessRole.CommandLine"/>)
    /// must do first, such as opening the rooms the module creates at run time.
    /// </summary>
    Task PrepareAsync(IServiceProvider services, CancellationToken ct);
}
