using Capstan.Core.Commands;
using Capstan.Delivery.Apps;
using Capstan.Delivery.Reconciliation;

namespace Capstan.Delivery.Chat;

/// <summary>Answers <c>history APP [in ENV]</c> with the app's deployments (the core history command delegates here).</summary>
public sealed class DeliveryHistory(IDeliveryStore store) : IHistorySource
{
    public bool Knows(string subject, CommandContext context) => context.Config.Find<DeliveryConfig>()?.Apps.ContainsKey(subject) ?? false;

    public string Describe(CommandContext context) =>
        "apps: " + string.Join(", ", (context.Config.Find<DeliveryConfig>()?.Apps.Keys ?? []).Order(StringComparer.Ordinal));

    public async Task<CommandResult> HistoryAsync(string subject, string? place, int count, CommandContext context)
    {
        string? env = null;
        if (place is not null)
        {
            if (!context.Config.Policy.Environments.TryGetValue(place, out var info))
                return CommandResult.Invalid(ArgumentKind.Unknown("environment", place, context.Config.Policy.Environments.Keys) + ".");
            env = info.Name;
        }
        if (count is < 1 or > 500) return CommandResult.Invalid($"History shows 1 to 500 entries; {count} is out of range.");
        await store.EnsureAsync(context.Cancellation);
        var rows = await store.DeploymentsAsync(subject, env, count, context.Cancellation);
        if (rows.Count == 0) return CommandResult.Info($"{subject} has no deployments{(env is null ? "" : " in " + env)} yet.");
        return CommandResult.Info($"Last {rows.Count} deployment(s) of {subject}{(env is null ? "" : " in " + env)}:",
            new Table(["time (UTC)", "env", "version", "outcome", "by", "commit", "detail"],
                rows.Select(r => (IReadOnlyList<string>)[r.At.ToString("yyyy-MM-dd HH:mm:ss"), r.Environment, r.Version, r.Outcome, r.By,
                    r.Commit.Length > 7 ? r.Commit[..7] : r.Commit, Short(r.Detail)]).ToList()));
    }

    private static string Short(string s)
    {
        s = s.Split('\n')[0];
        return s.Length > 80 ? s[..80] + "…" : s;
    }
}
