using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Modules;
using Capstan.Indicators.Chat;
using Capstan.Indicators.Config;
using Capstan.Indicators.Web;
using Capstan.Web;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Capstan.Indicators;

/// <summary>
/// The indicators module: DORA figures from the ledger and source repos, charts, custom indicators and digests;
/// the indicators page and its API.
/// </summary>
public sealed class IndicatorsModule : IWebModule
{
    /// <summary>The config section: the <c>indicators:</c> key of capstan.yaml and indicators/*.yaml.</summary>
    public static readonly IConfigSection Section = new IndicatorsSection();

    public string Name => "indicators";
    public IReadOnlyList<IConfigSection> Sections => [Section];
    public IReadOnlyList<ICommandModule> Commands => [new MetricsCommands()];
    public IReadOnlyList<Type> Events => [];
    public IReadOnlyList<NavigationLink> Navigation => [new("/indicators", "Indicators", 600)];
    public void AddServices(IServiceCollection services, ProcessRole role) => services.AddIndicators();
    public Task PrepareAsync(IServiceProvider services, CancellationToken ct) => Task.CompletedTask;
    public void MapEndpoints(IEndpointRouteBuilder app) => app.MapIndicators();
}
