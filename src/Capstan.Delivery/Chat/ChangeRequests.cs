using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Ledger;
using Capstan.Core.Ledger.Events;
using Capstan.Core.Policy;
using Capstan.Delivery.Apps;
using Capstan.Delivery.Reconciliation;
using Capstan.Delivery.Targets;

namespace Capstan.Delivery.Chat;

/// <summary>A change someone asked for from chat: deploy, promote or rollback of one app to a version in one environment.</summary>
public sealed record ChangeRequest(string Action, Slot Slot, string Version, string Message);

/// <summary>
/// Turns a change request into a commit in the config repo (author = the person, committer = Capstan,
/// trailers naming the request and the approvers) and opens the message that follows it in the thread.
/// Chat never touches a target: the reconciler applies the commit.
/// </summary>
public sealed class ChangeRequests(ConfigWriter writer, ConfigReloader reloader, Reconciler reconciler, RequestThreads threads, Ledger ledger)
{
    public const string RequestedTrailer = "Requested-by";

    /// <summary>Why a change may not go to this environment now (a lock), or null.</summary>
    public static string? LockProblem(DeliveryConfig cfg, string environment) =>
        cfg.Locks.TryGetValue(environment, out var l)
            ? $"{environment} is locked by {l.By}{(l.At > DateTimeOffset.MinValue ? $" since {l.At:yyyy-MM-dd HH:mm} UTC" : "")}: \"{l.Reason}\". " +
              $"Ask {l.By} (or anyone with permission 'lock' for {environment}) to `unlock {environment}` first."
            : null;

    /// <summary>What the requester must hold for the commit made in their name: 'deploy' for the environment, for this action.</summary>
    public static CommitGrant Needs(ChangeRequest change, string room) => new(DeliveryCommands.DeployPermission, change.Action, change.Slot.Environment, room);

    /// <summary>
    /// Commits the change in the requester's name — only if the configuration in force still grants them 'deploy' for
    /// the environment — and follows it in the thread; returns the reply for the command itself.
    /// </summary>
    public async Task<CommandResult> CommitAsync(ChangeRequest change, Person requester, IReadOnlyList<Person> approvers, string requestId, string room, string thread, CancellationToken ct)
    {
        var slot = change.Slot;
        var path = DeliverySection.DesiredFile(slot);
        var text = $"version: {change.Version}\n";
        var progress = await threads.OpenAsync(requestId, room, thread, change.Message, "committing", ct);
        var trailers = new List<KeyValuePair<string, string>> { new(ChangeCause.RequestTrailer, requestId) };
        foreach (var a in approvers) trailers.Add(new(ChangeCause.ApprovedTrailer, $"{a.Name} <{EmailOf(a)}>"));
        var write = await writer.CommitAsync(requester.Id, Needs(change, room), new ConfigChange(change.Message, ConfigWriter.AuthorOf(requester),
            files => files.GetValueOrDefault(path) == text ? null : new Dictionary<string, string?> { [path] = text }, trailers), ct);
        if (write.Refused)
        {
            await progress.StepAsync("not committed: " + write.Refusal, ReplyTone.Warning);
            return CommandResult.Refuse(write.Refusal!);
        }
        var commit = write.Commit;
        if (commit is null)
        {
            var view = reconciler.View(slot);
            var failed = view is { Sync: SyncState.Failed } ? $" Its last apply failed ({view.Detail.Split('\n')[0]}); `sync {slot.App} in {slot.Environment}` tries again." : "";
            await progress.StepAsync($"nothing to commit: {slot.App} is already set to {change.Version} in {slot.Environment}.{failed}");
            return new CommandResult(CommandOutcome.Succeeded, []);
        }
        await ledger.AppendAsync(new ChangeCommitted(requestId, change.Action, slot.App, slot.Environment, change.Version, commit.Sha, approvers.Select(a => a.Id), change.Message),
            requester.Id, room, thread);
        await progress.StepAsync($"committed {commit.ShortSha}", first: true);
        // Bring the commit into force now rather than at the next poll: the reconciler is woken by it.
        await reloader.RefreshAsync(ct);
        reconciler.Lift(slot, force: false); // someone deployed again: a hold from an earlier automatic rollback ends
        reconciler.Nudge();
        return new CommandResult(CommandOutcome.Succeeded, []) { Following = true };
    }

    public static string EmailOf(Person p) => ConfigWriter.EmailOf(p);
}
