using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Modules;
using Capstan.Web.JobPages;
using Capstan.Web.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Capstan.Web;

/// <summary>
/// The web UI of Core's own features, as a module: the chat, jobs and ledger pages, the jobs API, and the
/// <c>metrics:</c> section that guards /metrics.
/// </summary>
public sealed class WebModule : IWebModule
{
    private static readonly IConfigSection Metrics = new MetricsSection();

    public string Name => "web";
    public IReadOnlyList<IConfigSection> Sections => [Metrics];
    public IReadOnlyList<ICommandModule> Commands => [];
    public IReadOnlyList<Type> Events => [];

    public IReadOnlyList<NavigationLink> Navigation =>
        [new("/", "Chat", 100), new("/jobs", "Jobs", 400), new("/ledger", "Ledger", 500)];

    public void AddServices(IServiceCollection services, ProcessRole role) { }

    public Task PrepareAsync(IServiceProvider services, CancellationToken ct) => Task.CompletedTask;

    public void MapEndpoints(IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => Pages.Page("chat.html"));
        app.MapGet("/ledger", () => Pages.Page("ledger.html"));
        app.MapJobs();
    }
}
