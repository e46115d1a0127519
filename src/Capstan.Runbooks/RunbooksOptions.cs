namespace Capstan.Runbooks;

/// <summary>Limits of the runbooks module: download size, time and retries.</summary>
public sealed record RunbooksOptions
{
    /// <summary>The largest file <c>fetch</c> accepts.</summary>
    public long MaxDownloadBytes { get; init; } = 10L * 1024 * 1024 * 1024;

    /// <summary>How long one download may take in all.</summary>
    public TimeSpan DownloadTimeout { get; init; } = TimeSpan.FromHours(6);

    /// <summary>How long a download may go without receiving a byte before it counts as dropped (and is resumed).</summary>
    public TimeSpan DownloadStallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How many times a dropped transfer is resumed before the job fails.</summary>
    public int DownloadRetries { get; init; } = 5;
}
