using System.Globalization;
using Capstan.Core.Commands;
using Capstan.Indicators.Dora;
using Capstan.Indicators.History;

namespace Capstan.Indicators.Chat;

/// <summary>How DORA reports read in chat: the figures, and the facts behind them for `metrics explain dora`.</summary>
public static class DoraText
{
    public static string Heading(DoraReport r) =>
        $"DORA for {r.Scope.Label} in {r.Scope.Environment} {r.Scope.Period.Phrase} ({Day(r.Scope.Period.From)} – {Day(r.Scope.Period.To)}); tiers from the DORA {r.Benchmark} report:";

    public static Reply Summary(DoraReport r, HistoryView history, IReadOnlyList<Attachment>? charts = null)
    {
        if (r.NoDeploys)
        {
            var last = r.Scope.Apps.SelectMany(a => history.DeploymentsOf(a, r.Scope.Environment)).Where(d => d.At < r.Scope.Period.From).MaxBy(d => d.At);
            return new Reply($"{r.NoDeploysSentence}, so there are no DORA figures to show" +
                (last is null ? $" (Capstan has recorded no deploy of {r.Scope.Label} in {r.Scope.Environment} at all)." : $" (the last one was {last.App} {last.Version} on {Day(last.At)}); ask for a longer period, e.g. `metrics dora {(r.Scope.Apps.Count == 1 ? r.Scope.Apps[0] + " " : "")}in {r.Scope.Environment} last 90d`."),
                ReplyTone.Info);
        }
        var table = new Table(["metric", "value", "sample", $"DORA {r.Benchmark} tier"], r.Figures.Select(f => (IReadOnlyList<string>)[
            f.Name, f.Value is null ? f.Problem ?? f.Text : f.Text, f.SampleText, f.Tier is null ? (f.Key == "reworkRate" ? $"no tiers published ({r.Benchmark})" : "—") : $"{f.Tier.Name} ({f.Tier.Band})"]).ToList());
        var notes = r.Notes.Count == 0 ? "" : "\n" + string.Join("\n", r.Notes.Select(n => "Note: " + n + "."));
        return new Reply(Heading(r) + notes + "\n`metrics explain dora …` lists the deploys, commits and incidents behind these figures.", ReplyTone.Info, table, charts);
    }

    public static IReadOnlyList<Reply> Explain(DoraReport r, int maxRows)
    {
        if (r.NoDeploys) return [new Reply(r.NoDeploysSentence + ", so there is nothing to explain.", ReplyTone.Info)];
        var replies = new List<Reply>();
        var deploys = r.Deploys.OrderBy(d => d.Deployment.At).ToList();
        var rows = deploys.Take(maxRows).Select(d => (IReadOnlyList<string>)[
            Stamp(d.Deployment.At), d.Deployment.App, d.Deployment.Version + (d.Deployment.Kind == DeployKind.Change ? "" : d.Deployment.Kind == DeployKind.Rollback ? " (rollback)" : " (automatic rollback)"),
            d.Deployment.ShortCommit, d.Deployment.Succeeded ? "healthy" : "failed",
            d.Changes.Count == 0 ? (d.LeadTimeProblem ?? "—") : $"{d.Changes.Count} since {d.PreviousVersion ?? "the start"}",
            d.LeadTime is { } l ? Numbers.Duration(l) : "—",
            d.Failed ? string.Join("; ", d.FailedBecause) : "—",
            d.Failed ? (d.RecoveredAt is { } at ? $"{Stamp(at)} ({Numbers.Duration(at - d.Deployment.At)})" : "not yet") : "—",
            d.Rework ?? "—"]).ToList();
        replies.Add(new Reply($"The {deploys.Count} deploy{(deploys.Count == 1 ? "" : "s")} behind the figures for {r.Scope.Label} in {r.Scope.Environment} {r.Scope.Period.Phrase}" +
            (deploys.Count > maxRows ? $" (first {maxRows} shown; GET /api/indicators/dora/explain has all)" : "") +
            $". Frequency and fail rate count all of them; lead time uses the healthy ones with new commits ({r.LeadTime.Sample}); recovery the failed ones that recovered ({r.RecoveryTime.Sample}).",
            ReplyTone.Info, new Table(["deployed (UTC)", "app", "version", "config commit", "outcome", "commits", "lead time", "failed because", "recovered", "rework"], rows)));
        var commits = deploys.Where(d => d.Changes.Count > 0).SelectMany(d => d.Changes.Select(c => (IReadOnlyList<string>)[
            d.Deployment.App, d.Deployment.Version, c.Sha[..Math.Min(10, c.Sha.Length)], Stamp(c.At), Numbers.Duration(d.Deployment.At - c.At) + (c == d.Changes[0] ? " (first: the lead time)" : "")])).ToList();
        if (commits.Count > 0)
            replies.Add(new Reply($"The {commits.Count} commit{(commits.Count == 1 ? "" : "s")} those deploys brought (commits of the version's tag not in the version deployed before it):" +
                (commits.Count > maxRows ? $" first {maxRows} shown." : ""), ReplyTone.Info,
                new Table(["app", "version", "commit", "committed (UTC)", "to deploy"], commits.Take(maxRows).ToList())));
        else replies.Add(new Reply("No commits: " + (r.LeadTime.Problem ?? "no deploy brought new commits") + ".", ReplyTone.Info));
        if (r.Incidents.Count > 0)
            replies.Add(new Reply($"The {r.Incidents.Count} incident{(r.Incidents.Count == 1 ? "" : "s")} linked to those deploys (each to the last healthy deploy of one of its apps in {r.Scope.Environment} before it opened):",
                ReplyTone.Info, new Table(["incident", "title", "severity", "apps", "opened (UTC)", "resolved (UTC)", "linked deploy"], r.Incidents.Select(i => (IReadOnlyList<string>)[
                    i.Id, i.Title, i.Severity, string.Join(", ", i.Apps), Stamp(i.Opened), i.Resolved is { } x ? Stamp(x) : "open",
                    deploys.FirstOrDefault(d => d.Incidents.Contains(i.Id)) is { } dep ? $"{dep.Deployment.App} {dep.Deployment.Version} at {Stamp(dep.Deployment.At)}" : "—"]).ToList())));
        else replies.Add(new Reply("No incidents are linked to these deploys.", ReplyTone.Info));
        return replies;
    }

    public static string Stamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    public static string Day(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
