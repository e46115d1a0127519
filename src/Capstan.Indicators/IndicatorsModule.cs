using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Egress;
using Capstan.Core.Conversation;
using Capstan.Indicators.Charts;
using Capstan.Indicators.Chat;
using Capstan.Indicators.Config;
using Capstan.Indicators.Custom;
using Capstan.Indicators.Digests;
using Capstan.Indicators.Dora;
using Capstan.Indicators.History;
using Capstan.Indicators.Sources;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Capstan.Indicators;

/// <summary>
/// The indicators module's one entry point for the composition root:
/// <c>CapstanNode.OpenAsync(data, [IndicatorsModule.Section, …])</c>, <c>services.AddIndicators()</c> after
/// <c>node.AddTo(services)</c>, and <c>IndicatorsModule.Register(node.Registry)</c>.
/// </summary>
public static class IndicatorsModule
{
    /// <summary>The config section: the <c>indicators:</c> key of capstan.yaml and indicators/*.yaml.</summary>
    public static readonly IConfigSection Section = new IndicatorsSection();

    /// <summary>Adds the delivery history read model, source repo reading, DORA queries, charts, custom indicators and digests.</summary>
    public static IServiceCollection AddIndicators(this IServiceCollection services, IndicatorsOptions? options = null)
    {
        services.AddSingleton(options ?? new IndicatorsOptions());
        services.AddSingleton<DeliveryHistory>();
        services.AddSingleton<SourceHistory>();
        services.AddSingleton<DoraQuery>();
        services.AddSingleton<DoraCharts>();
        services.AddSingleton<IAttachmentSource>(sp => sp.GetRequiredService<DoraCharts>());
        services.AddEgressHttpClient(IndicatorReader.Client, Timeout.InfiniteTimeSpan); // each indicator has its own timeout
        services.AddSingleton<IndicatorReader>();
        services.AddSingleton<IndicatorValues>();
        services.AddSingleton<DigestSchedule>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<DigestSchedule>());
        return services;
    }

    /// <summary>Adds metrics dora, metrics explain dora and metrics to the registry.</summary>
    public static void Register(CommandRegistry registry) => new MetricsCommands().Register(registry);
}
