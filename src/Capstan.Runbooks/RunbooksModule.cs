using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Egress;
using Capstan.Runbooks.Chat;
using Capstan.Runbooks.Config;
using Capstan.Runbooks.Plugins;
using Capstan.Core.Secrets;
using Capstan.Runbooks.Secrets;
using Capstan.Runbooks.Steps;
using Capstan.Runbooks.Transfers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Capstan.Runbooks;

/// <summary>
/// The runbooks module's one entry point for the composition root:
/// <c>CapstanNode.OpenAsync(data, [RunbooksModule.Section, …])</c>, <c>services.AddRunbooks()</c> after
/// <c>node.AddTo(services)</c>, and <c>RunbooksModule.Register(node.Registry)</c>. Custom commands from
/// commands/*.yaml are registered by a hosted service when the services start, and again on every commit;
/// C# plugins in DATA/plugins are loaded by another when the services start.
/// </summary>
public static class RunbooksModule
{
    /// <summary>The config section: runbooks/*.yaml and the <c>products:</c> key of capstan.yaml.</summary>
    public static readonly IConfigSection Section = new RunbooksSection();

    /// <summary>Adds the secret store, the step runners, diagnostics, product checks and downloads (which resume at start).</summary>
    public static IServiceCollection AddRunbooks(this IServiceCollection services, RunbooksOptions? options = null)
    {
        services.AddSingleton(options ?? new RunbooksOptions());
        services.AddSingleton<FetchedFiles>();
        services.AddEgressHttpClient(Fetcher.Client, Timeout.InfiniteTimeSpan); // a stall timer, not a total, bounds a download
        services.AddSingleton<Fetcher>();
        services.AddSingleton<IHostedService, FetchResumer>();
        services.AddSingleton<IHostedService, SecretsAtStart>();
        services.AddEgressHttpClient(HttpProbe.Client, Timeout.InfiniteTimeSpan); // the step runner bounds each step
        services.AddSingleton<HttpProbe>();
        services.AddSingleton<StepRunner>();
        services.AddSingleton<Diagnostics>();
        services.AddSingleton<ProductCheck>();
        services.AddSingleton<CustomCommands>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<CustomCommands>());
        services.AddSingleton<PluginCommands>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<PluginCommands>());
        return services;
    }

    /// <summary>Adds diag, check, fetch and files to the registry.</summary>
    public static void Register(CommandRegistry registry)
    {
        new RunbookCommands().Register(registry);
        new FetchCommands().Register(registry);
    }
}
