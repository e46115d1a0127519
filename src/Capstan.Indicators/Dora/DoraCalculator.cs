using Capstan.Indicators.History;
using Capstan.Indicators.Sources;

namespace Capstan.Indicators.Dora;

/// <summary>
/// Computes the five DORA figures from the delivery history (rules in docs/indicators.md):
/// a deployment is a finished apply (healthy or failed) that is not a self-heal restart; it failed when its
/// apply failed, it was rolled back before the next deploy, its app turned Degraded before the next deploy, or
/// an incident is linked to it; it recovered when every one of those was undone; it is rework when it is a
/// rollback or went out while an incident on its app was open. Lead time runs from the first commit of the
/// change (the commits of its version's tag not in the previously deployed version) to the deploy.
/// </summary>
public sealed class DoraCalculator(int benchmark, TimeSpan incidentLink)
{
    public DoraReport Compute(HistoryView history, DoraScope scope, IReadOnlyDictionary<string, SourceReading?> sources)
    {
        var links = LinkIncidents(history, scope.Environment);
        var byApp = new Dictionary<string, List<Incident>>(StringComparer.Ordinal);
        foreach (var inc in history.Incidents)
            if (string.Equals(inc.Environment, scope.Environment, StringComparison.OrdinalIgnoreCase))
                foreach (var a in inc.Apps)
                {
                    if (!byApp.TryGetValue(a, out var l)) byApp[a] = l = [];
                    l.Add(inc);
                }
        var facts = new List<DeployFacts>();
        var notes = new List<string>();
        foreach (var app in scope.Apps)
        {
            var deploys = history.DeploymentsOf(app, scope.Environment);
            if (deploys.Count == 0) continue;
            var source = sources.GetValueOrDefault(app);
            if (source is null) notes.Add($"{app}: no source repo (add repos.{app} to capstan.yaml, or map it under indicators.sources), so no lead time");
            else if (source.Problem is not null) notes.Add($"{app}: lead time unavailable — {source.Problem}");
            var health = history.HealthOf(app, scope.Environment);
            var rollbacks = history.RollbacksOf(app, scope.Environment);
            var first = LowerBound(deploys, scope.Period.From);
            var appIncidents = byApp.GetValueOrDefault(app) ?? [];
            var cache = history.FactsOf(app, scope.Environment);
            for (var i = first; i < deploys.Count && deploys[i].At < scope.Period.To; i++)
                facts.Add(cache.GetOrAdd((deploys[i].Seq, incidentLink, source?.Repository), static (_, a) =>
                    Facts(a.deploys, a.i, a.health, a.rollbacks, a.links, a.appIncidents, a.source), (deploys, i, health, rollbacks, links, appIncidents, source)));
        }
        var ids = facts.SelectMany(f => f.Linked).Select(x => x.Id).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var incidents = history.Incidents.Where(x => ids.Contains(x.Id)).ToList();
        return Summarise(scope, facts, incidents, notes, sources);
    }

    /// <summary>Each incident's linked deployment: the last successful deploy of one of its apps in its environment before it opened, within the link window.</summary>
    private Dictionary<long, List<Incident>> LinkIncidents(HistoryView history, string environment)
    {
        var links = new Dictionary<long, List<Incident>>();
        foreach (var inc in history.Incidents)
        {
            if (!string.Equals(inc.Environment, environment, StringComparison.OrdinalIgnoreCase)) continue;
            Deployment? best = null;
            foreach (var app in inc.Apps)
            {
                var deploys = history.DeploymentsOf(app, environment);
                for (var i = LowerBound(deploys, inc.Opened.AddTicks(1)) - 1; i >= 0; i--)
                    if (deploys[i].Succeeded) { if (best is null || deploys[i].At > best.At) best = deploys[i]; break; }
            }
            if (best is null || inc.Opened - best.At > incidentLink) continue;
            if (!links.TryGetValue(best.Seq, out var list)) links[best.Seq] = list = [];
            list.Add(inc);
        }
        return links;
    }

    private static DeployFacts Facts(IReadOnlyList<Deployment> deploys, int i, IReadOnlyList<HealthChange> health, IReadOnlyList<Rollback> rollbacks,
        Dictionary<long, List<Incident>> links, List<Incident> appIncidents, SourceReading? source)
    {
        var d = deploys[i];
        var next = i + 1 < deploys.Count ? deploys[i + 1] : null;
        var end = next?.At ?? DateTimeOffset.MaxValue;
        List<FailureSignal>? because = null;
        DateTimeOffset? recovered = null;
        var unrecovered = false; // a signal not undone yet: the deployment has not recovered
        void Signal(string what, DateTimeOffset at, DateTimeOffset? undone)
        {
            (because ??= []).Add(new FailureSignal(what, at));
            if (undone is null) unrecovered = true;
            else if (recovered is null || undone > recovered) recovered = undone;
        }
        if (!d.Succeeded) Signal("its apply failed", d.At, NextSuccess(deploys, i, d.At));
        for (var k = LowerBound(rollbacks, d.At, x => x.At); k < rollbacks.Count && rollbacks[k].At < end; k++)
            if (rollbacks[k] is var r && (r.Reverted == d.Commit || r.Version == d.Version))
                Signal("rolled back automatically", r.At, NextSuccess(deploys, i, r.At));
        if (next is { Kind: DeployKind.Rollback })
            Signal($"rolled back to {next.Version}", next.At, next.Succeeded ? next.At : NextSuccess(deploys, i, next.At));
        if (d.Succeeded)
        {
            HealthChange? degraded = null;
            for (var k = LowerBound(health, d.At, x => x.At); k < health.Count && health[k].At < end; k++) if (health[k].Bad) { degraded = health[k]; break; }
            if (degraded is not null)
            {
                DateTimeOffset? healthy = null;
                for (var k = LowerBound(health, degraded.At, x => x.At); k < health.Count; k++) if (health[k].Good && health[k].At > degraded.At) { healthy = health[k].At; break; }
                var redeployed = NextSuccess(deploys, i, degraded.At);
                Signal($"turned {degraded.Health}", degraded.At, healthy is null ? redeployed : redeployed is null ? healthy : healthy < redeployed ? healthy : redeployed);
            }
        }
        IReadOnlyList<Incident> linked = links.TryGetValue(d.Seq, out var l) ? l : [];
        foreach (var inc in linked) Signal($"incident {inc.Id} opened", inc.Opened, inc.Resolved);
        if (because is null || unrecovered) recovered = null;

        string? rework = d.Kind switch
        {
            DeployKind.Rollback => "a rollback from chat",
            DeployKind.AutomaticRollback => "an automatic rollback",
            _ => appIncidents.FirstOrDefault(x => x.OpenAt(d.At)) is { } open
                ? $"deployed while incident {open.Id} was open" : null,
        };

        IReadOnlyList<ChangeCommitTime> changes = [];
        TimeSpan? lead = null;
        string? leadProblem = null;
        string? previous = null;
        if (d.Succeeded && source?.Repository is { } repo)
        {
            // The version that ran before: a redeploy of it, or a rollback to an older one, brings no new commits.
            for (var j = i - 1; j >= 0; j--)
                if (deploys[j].Succeeded) { previous = deploys[j].Version; break; }
            previous ??= repo.VersionBefore(d.Version, Capstan.Core.SemanticVersionOrder.Instance);
            var to = repo.CommitOf(d.Version);
            if (to is null) leadProblem = $"no tag v{d.Version} (or {d.Version}) in source repo {repo.Name}";
            else if (previous == d.Version) { }
            else
            {
                var from = previous is null ? null : repo.CommitOf(previous);
                if (previous is not null && from is null) leadProblem = $"no tag v{previous} in source repo {repo.Name} to compare {d.Version} with";
                else
                {
                    changes = repo.Between(from, to).Select(c => new ChangeCommitTime(c.Sha, c.At)).OrderBy(c => c.At).ToList();
                    if (changes.Count > 0 && d.At - changes[0].At > TimeSpan.Zero) lead = d.At - changes[0].At;
                }
            }
        }
        return new DeployFacts(d, (IReadOnlyList<FailureSignal>?)because ?? [], recovered, changes, previous, lead, leadProblem, linked, rework);
    }

    private static DateTimeOffset? NextSuccess(IReadOnlyList<Deployment> deploys, int i, DateTimeOffset after)
    {
        for (var j = i + 1; j < deploys.Count; j++) if (deploys[j].Succeeded && deploys[j].At >= after) return deploys[j].At;
        return null;
    }

    private DoraReport Summarise(DoraScope scope, List<DeployFacts> facts, List<Incident> incidents, List<string> notes, IReadOnlyDictionary<string, SourceReading?> sources)
    {
        var n = facts.Count;
        var period = scope.Period;
        var where = $"{scope.Label} in {scope.Environment} {period.Phrase}";
        if (n == 0)
        {
            var none = $"no deploys {period.Phrase}";
            return new DoraReport(scope, benchmark,
                new Figure("deploymentFrequency", "Deployment frequency", null, "per day", none, 0, "0 deploys", null, $"no deploys of {where}"),
                Empty("leadTime", "Change lead time", "hours", none), Empty("changeFailRate", "Change fail rate", "ratio", none),
                Empty("recoveryTime", Capital(Tiers.RecoveryName(benchmark)), "hours", none), Empty("reworkRate", "Deployment rework rate", "ratio", none),
                facts, incidents, notes);
        }
        var days = period.Length.TotalDays;
        var perDay = n / days;
        var frequency = new Figure("deploymentFrequency", "Deployment frequency", perDay, "per day",
            $"{n} deploy{(n == 1 ? "" : "s")} in {Period.Words(period.Length)} ({Rate(perDay)})", n, $"{n} deploy{(n == 1 ? "" : "s")}",
            Tiers.DeploymentFrequency(perDay, benchmark), null);

        var leads = facts.Where(f => f.LeadTime is not null).Select(f => f.LeadTime!.Value).ToList();
        var commits = facts.Where(f => f.LeadTime is not null).Sum(f => f.Changes.Count);
        var appsWithSource = scope.Apps.Where(a => sources.GetValueOrDefault(a)?.Repository is not null).ToList();
        Figure leadTime;
        if (leads.Count == 0)
        {
            var why = appsWithSource.Count == 0
                ? (sources.Values.FirstOrDefault(s => s?.Problem is not null)?.Problem is { } p ? $"unavailable — {p}" : "unavailable — no source repo is configured for " + scope.Label)
                : facts.FirstOrDefault(f => f.LeadTimeProblem is not null)?.LeadTimeProblem is { } lp ? $"unavailable — {lp}" : "unavailable — no deploy in the period brought new commits";
            leadTime = new Figure("leadTime", "Change lead time", null, "hours", why, 0, "0 changes", null, why);
        }
        else
        {
            var median = Median(leads);
            var partial = appsWithSource.Count < facts.Select(f => f.Deployment.App).Distinct().Count() ? "not every app's source repo could be read" : null;
            leadTime = new Figure("leadTime", "Change lead time", median.TotalHours, "hours", $"median {Numbers.Duration(median)}", leads.Count,
                $"{leads.Count} deploy{(leads.Count == 1 ? "" : "s")} with {commits} new commit{(commits == 1 ? "" : "s")}", Tiers.ChangeLeadTime(median, benchmark), partial);
        }

        var failed = facts.Count(f => f.Failed);
        var cfr = (double)failed / n;
        var failRate = new Figure("changeFailRate", "Change fail rate", cfr, "ratio", $"{Numbers.Percent(cfr)} ({failed} of {n} deploys failed)", n,
            $"{n} deploy{(n == 1 ? "" : "s")}", Tiers.ChangeFailRate(cfr, benchmark), null);

        var recoveries = facts.Where(f => f.RecoveryTime is not null).Select(f => f.RecoveryTime!.Value).ToList();
        var open = facts.Count(f => f.Failed && f.RecoveredAt is null);
        var recoveryName = Capital(Tiers.RecoveryName(benchmark));
        Figure recovery;
        if (failed == 0) recovery = new Figure("recoveryTime", recoveryName, null, "hours", "no failed deploys to recover from", 0, "0 failed deploys", null, "no failed deploys to recover from");
        else if (recoveries.Count == 0) recovery = new Figure("recoveryTime", recoveryName, null, "hours", $"not recovered yet ({open} failed deploy{(open == 1 ? "" : "s")} still open)", 0, "0 recoveries", null, $"not recovered yet ({open} failed deploy{(open == 1 ? "" : "s")} still open)");
        else
        {
            var median = Median(recoveries);
            recovery = new Figure("recoveryTime", recoveryName, median.TotalHours, "hours", $"median {Numbers.Duration(median)}", recoveries.Count,
                $"{recoveries.Count} recover{(recoveries.Count == 1 ? "y" : "ies")}" + (open > 0 ? $", {open} still open" : ""), Tiers.RecoveryTime(median, benchmark), null);
        }

        var reworked = facts.Count(f => f.Rework is not null);
        var rr = (double)reworked / n;
        var rework = new Figure("reworkRate", "Deployment rework rate", rr, "ratio", $"{Numbers.Percent(rr)} ({reworked} of {n} deploys unplanned)", n,
            $"{n} deploy{(n == 1 ? "" : "s")}", null, null);
        return new DoraReport(scope, benchmark, frequency, leadTime, failRate, recovery, rework, facts, incidents, notes);
    }

    private static Figure Empty(string key, string name, string unit, string why) => new(key, name, null, unit, why, 0, "0 deploys", null, why);

    private static string Capital(string s) => char.ToUpperInvariant(s[0]) + s[1..];

    private static string Rate(double perDay) =>
        perDay >= 1 ? $"{Numbers.Format(perDay)} per day" : perDay * 7 >= 1 ? $"{Numbers.Format(perDay * 7)} per week" : $"{Numbers.Format(perDay * 30)} per 30 days";

    public static TimeSpan Median(List<TimeSpan> values)
    {
        values.Sort();
        var m = values.Count / 2;
        return values.Count % 2 == 1 ? values[m] : TimeSpan.FromTicks((values[m - 1].Ticks + values[m].Ticks) / 2);
    }

    private static int LowerBound(IReadOnlyList<Deployment> list, DateTimeOffset t) => LowerBound(list, t, d => d.At);

    private static int LowerBound<T>(IReadOnlyList<T> list, DateTimeOffset t, Func<T, DateTimeOffset> at)
    {
        int lo = 0, hi = list.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (at(list[mid]) < t) lo = mid + 1; else hi = mid;
        }
        return lo;
    }
}
