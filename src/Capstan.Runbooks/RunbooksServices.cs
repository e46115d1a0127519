using Capstan.Core.Egress;
using Capstan.Runbooks.Chat;
using Capstan.Runbooks.Plugins;
using Capstan.Runbooks.Secrets;
using Capstan.Runbooks.Steps;
using Capstan.Runbooks.Transfers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Capstan.Runbooks;

/// <summary>The runbooks module's services, for the module and for tests that compose a node with runbooks alone.</summary>
public static class RunbooksServices
{
    /// <summary>Adds the secret store, the step runners, diagnostics, product checks and downloads (which resume at start).</summary>
    public static IServiceCollection AddRunbooks(this IServiceCollection services, RunbooksOptions? options = null)
    {
        services.AddSingleton(options ?? new RunbooksOptions());
        services.AddSingleton<FetchedFiles>();
        services.AddEgressHttpClient(Fetcher.Client, Timeout.InfiniteTimeSpan); // a stall timer, not a total, bounds a download
        services.AddEgressHttpClient(HttpProbe.Client, Timeout.InfiniteTimeSpan); // the step runner bounds each step
        services.AddSingleton<Fetcher>();
        services.AddSingleton<IHostedService, FetchResumer>();
        services.AddSingleton<IHostedService, SecretsAtStart>();
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
}
