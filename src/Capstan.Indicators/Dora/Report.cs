using Capstan.Indicators.History;

namespace Capstan.Indicators.Dora;

/// <summary>What DORA figures are asked for: which apps, in which environment, over which period.</summary>
public sealed record DoraScope(string Label, IReadOnlyList<string> Apps, string Environment, Period Period);

/// <summary>One of the five figures: its value, how many data points it rests on, and its tier.</summary>
public sealed record Figure(string Key, string Name, double? Value, string Unit, string Text, int Sample, string SampleText, Tier? Tier, string? Problem)
{
    /// <summary>The line chat shows for it.</summary>
    public string Line => Problem is not null && Value is null
        ? $"{Name}: {Problem}"
        : $"{Name}: {Text} — {SampleText}" + (Tier is null ? "" : $"; {Tier}") + (Problem is null ? "" : $" ({Problem})");
}

/// <summary>A commit in a deployed change, with its commit time.</summary>
public sealed record ChangeCommitTime(string Sha, DateTimeOffset At);

/// <summary>Why a deployment counts as failed: what happened and when (worded only when someone reads it).</summary>
public readonly record struct FailureSignal(string What, DateTimeOffset At)
{
    public override string ToString() => $"{What} at {At.UtcDateTime.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture)}";
}

/// <summary>One deployment and everything the figures say about it (what `metrics explain dora` lists).</summary>
public sealed record DeployFacts(
    Deployment Deployment,
    IReadOnlyList<FailureSignal> Signals,
    DateTimeOffset? RecoveredAt,
    IReadOnlyList<ChangeCommitTime> Changes,
    string? PreviousVersion,
    TimeSpan? LeadTime,
    string? LeadTimeProblem,
    IReadOnlyList<Incident> Linked,
    string? Rework)
{
    public bool Failed => Signals.Count > 0;
    public TimeSpan? RecoveryTime => Failed && RecoveredAt is { } r ? r - Deployment.At : null;
    public IReadOnlyList<string> FailedBecause => Signals.Select(s => s.ToString()).ToList();
    public IReadOnlyList<string> Incidents => Linked.Select(i => i.Id).ToList();
}

/// <summary>The five DORA figures for a scope, and the facts behind them.</summary>
public sealed record DoraReport(
    DoraScope Scope,
    int Benchmark,
    Figure DeploymentFrequency,
    Figure LeadTime,
    Figure ChangeFailRate,
    Figure RecoveryTime,
    Figure ReworkRate,
    IReadOnlyList<DeployFacts> Deploys,
    IReadOnlyList<Incident> Incidents,
    IReadOnlyList<string> Notes)
{
    public bool NoDeploys => Deploys.Count == 0;
    public IReadOnlyList<Figure> Figures => [DeploymentFrequency, LeadTime, ChangeFailRate, RecoveryTime, ReworkRate];

    /// <summary>"no deploys of api in prod in the last 30 days".</summary>
    public string NoDeploysSentence => $"No deploys of {Scope.Label} in {Scope.Environment} {Scope.Period.Phrase}";
}
