namespace Capstan.Core.Commands;

/// <summary>A module that answers <c>history SUBJECT</c> for its own subjects (for example an app's deploys).</summary>
public interface IHistorySource
{
    /// <summary>Whether this source knows the subject word (an app name, an incident id …).</summary>
    bool Knows(string subject, CommandContext context);

    Task<CommandResult> HistoryAsync(string subject, string? place, int count, CommandContext context);

    /// <summary>What kind of subjects this source knows, for error messages ("apps: api, web").</summary>
    string Describe(CommandContext context);
}

/// <summary>Something that <c>cancel ID</c> can stop: a job, an approval request …</summary>
public interface ICancellationSource
{
    /// <summary>Cancels the item with this id if this source owns it; null when it does not.</summary>
    Task<CommandResult?> TryCancelAsync(string id, CommandContext context);
}

/// <summary>
/// A module that runs apps (delivery) tells how each environment's copy of an app is right now, so
/// <c>check PRODUCT</c> covers a product's apps as well as the services they depend on.
/// </summary>
public interface IAppProbe
{
    /// <summary>
    /// Probes the app in every environment that should run it, each within <paramref name="budget"/> (one that does not
    /// answer in time is a reading of its own, so the others still show); null when the app is not declared.
    /// </summary>
    Task<IReadOnlyList<AppReading>?> ProbeAsync(string app, TimeSpan budget, CancellationToken ct);

    /// <summary>The declared apps, for error messages.</summary>
    IReadOnlyCollection<string> Apps { get; }
}

/// <summary>One environment's copy of an app: up or not, and what the probe saw ("1.1.0, GET /healthz → 200").</summary>
public sealed record AppReading(string Environment, bool Up, TimeSpan Latency, string Detail);
