using Capstan.Core.Egress;
using Capstan.Core.Conversation;
using Capstan.Indicators.Charts;
using Capstan.Indicators.Custom;
using Capstan.Indicators.Digests;
using Capstan.Indicators.Dora;
using Capstan.Indicators.History;
using Capstan.Indicators.Sources;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Capstan.Indicators;

/// <summary>The indicators module's services, for the module and for tests that compose a node with indicators alone.</summary>
public static class IndicatorsServices
{
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
}
