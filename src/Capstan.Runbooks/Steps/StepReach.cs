using Capstan.Core.Commands;
using Capstan.Core.Egress;
using Capstan.Runbooks.Config;

namespace Capstan.Runbooks.Steps;

/// <summary>
/// Who runs a runbook's steps and where the runbook lets them connect: an address decided at run time must be one of
/// the runbook's <c>destinations:</c> unless the person holds <c>reach-any</c>; a secret goes only where the runbook's
/// <c>secrets:</c> binds it, or, when it is not listed there, only to an address written in the runbook itself.
/// </summary>
public sealed record StepReach(string Runbook, RunbookReach Declared, bool Anywhere, string Who)
{
    /// <summary>What the person who asked for a runbook's run may reach with it.</summary>
    public static StepReach For(Runbook runbook, CommandContext ctx) =>
        new($"runbook {runbook.Name} ({runbook.File})", runbook.Reach,
            ctx.Config.Policy.Check(ctx.Actor, EgressGuard.ReachAnyPermission, ctx.Command.Spec.Id, null, ctx.Room).Allowed,
            ctx.Actor.Person?.Id ?? ctx.Actor.LedgerName);

    /// <summary>Steps written in capstan.yaml (product services): nothing in them comes from a caller.</summary>
    public static StepReach Config(string what) => new(what, RunbookReach.None, true, "capstan");

    /// <summary>Refuses a destination decided at run time that the runbook does not declare, unless the person may reach anywhere.</summary>
    public void CheckDestination(Step step, TextValue template, string host, Uri? uri)
    {
        if (!template.DecidedAtRunTime || Anywhere) return;
        if (Declared.Destinations.Any(d => uri is not null ? d.Matches(uri) : d.MatchesHost(host))) return;
        var shown = uri is null ? host : $"{uri.Scheme}://{uri.Authority}";
        var declared = Declared.Destinations.Count == 0
            ? $"{Runbook} declares no destinations: for such addresses"
            : $"{Runbook} lets such addresses point only at {string.Join(", ", Declared.Destinations)} (its destinations:)";
        throw new StepProblem($"step '{step.Name}' would connect to {shown}, an address given when the runbook ran; {declared}, " +
            $"and reaching anywhere else needs permission '{EgressGuard.ReachAnyPermission}', which {Who} does not hold. Nothing was sent");
    }

    /// <summary>Refuses to send a secret anywhere its runbook does not bind it to.</summary>
    public void CheckSecret(Step step, string secret, TextValue urlTemplate, Uri uri)
    {
        var target = $"{uri.Scheme}://{uri.Authority}";
        if (Declared.Secrets.TryGetValue(secret, out var allowed))
        {
            if (allowed.Any(d => d.Matches(uri))) return;
            throw new StepProblem($"secret '{secret}' may be sent only to {string.Join(", ", allowed)} (the secrets: of {Runbook}); step '{step.Name}' would send it to {target}, so nothing was sent");
        }
        if (!urlTemplate.DecidedAtRunTime) return;
        throw new StepProblem($"secret '{secret}' is bound to no destination and step '{step.Name}' decides its address when it runs ({target}), so nothing was sent; " +
            $"list where it may go under secrets: in {Runbook}, such as secrets: {{ {secret}: [https://api.example.com] }}");
    }
}
