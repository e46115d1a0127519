namespace Capstan.Indicators;

/// <summary>How the indicators module reads its sources; tests shorten the intervals.</summary>
public sealed class IndicatorsOptions
{
    /// <summary>How long a source repo's graph is trusted before its refs are checked again.</summary>
    public TimeSpan SourceRefresh { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long reading (or fetching) one source repo may take before lead time is marked unavailable.</summary>
    public TimeSpan SourceTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>How often the digest schedule is checked.</summary>
    public TimeSpan DigestTick { get; init; } = TimeSpan.FromSeconds(20);
}
