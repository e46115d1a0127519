using System.Security.Cryptography;
using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Conversation;
using Capstan.Core.Leadership;
using Capstan.Core.Ledger;
using Capstan.Core.Ledger.Events;
using Capstan.Core.Policy;
using Capstan.Delivery.Apps;
using Capstan.Delivery.Reconciliation;
using Microsoft.Extensions.Hosting;

namespace Capstan.Delivery.Chat;

/// <summary>
/// The two-person rule for protected environments: a change waits as an <see cref="ApprovalRequest"/> until
/// someone else with permission 'approve' for that environment approves it (or denies it, or it expires).
/// Requests are kept in the database, so they survive a restart; <c>cancel ID</c> withdraws one.
/// </summary>
public sealed class ApprovalDesk(IDeliveryStore store, ConfigState config, ChangeRequests changes, Ledger ledger, Outbox outbox, TimeProvider clock,
    ILeadership leadership)
    : BackgroundService, ICancellationSource
{
    public const string ApprovePermission = "approve";
    private const string Alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

    /// <summary>The reason a Deny button gives (deny needs one, a click cannot type one).</summary>
    public const string ButtonDenial = "no reason given (denied with the button)";

    public async Task<CommandResult> AskAsync(CommandContext ctx, ChangeRequest change)
    {
        var cfg = config.Current.Find<DeliveryConfig>() ?? DeliveryConfig.Empty;
        var id = "A" + new string(Enumerable.Range(0, 4).Select(_ => Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)]).ToArray());
        var now = clock.GetUtcNow();
        var request = new ApprovalRequest(id, change.Action, change.Slot.App, change.Slot.Environment, change.Version, ctx.Actor.Person!.Id,
            ctx.Room, ctx.Thread, ctx.RequestId, now, now + cfg.Settings.ApprovalTimeout, ApprovalRequest.Pending, null, null, change.Message);
        await store.EnsureAsync(ctx.Cancellation);
        await store.AddApprovalAsync(request, ctx.Cancellation);
        await ledger.AppendAsync(new ApprovalRequested(id, ctx.RequestId, change.Action, change.Slot.App, change.Slot.Environment, change.Version, request.ExpiresAt, change.Message),
            request.Requester, ctx.Room, ctx.Thread);
        var approvers = Approvers(ctx.Config.Policy, change.Slot.Environment, request.Requester);
        return CommandResult.Pending(
            $"{change.Slot.Environment} is protected: `{change.Message}` needs a second person. Approval request {id} " +
            $"(expires in {DurationText.Format(cfg.Settings.ApprovalTimeout)}, at {request.ExpiresAt:HH:mm} UTC). " +
            $"Someone else with permission 'approve' for {change.Slot.Environment}" + (approvers.Count > 0 ? $" ({string.Join(", ", approvers)})" : "") +
            $": `approve {id}` or `deny {id} REASON`. `cancel {id}` withdraws it.",
            // A button cannot ask why; the typed `deny ID REASON` stays the way to give one.
            [new ReplyAction("Approve", $"approve {id}", ActionStyle.Primary), new ReplyAction("Deny", $"deny {id} {ButtonDenial}", ActionStyle.Danger)]);
    }

    public async Task<CommandResult> ApproveAsync(CommandContext ctx, string id)
    {
        var (request, problem) = await DecidableAsync(ctx, id);
        if (request is null) return problem!;
        var cfg = ctx.Config.Find<DeliveryConfig>() ?? DeliveryConfig.Empty;
        if (ChangeRequests.LockProblem(cfg, request.Environment) is { } locked) return CommandResult.Refuse($"Cannot approve {id} now: {locked}");
        if (!ctx.Config.Policy.People.TryGetValue(request.Requester, out var requester))
            return CommandResult.Refuse($"{request.Requester}, who asked for {id}, is no longer in capstan.yaml; the request cannot be committed in their name. Ask again.");
        var change = new ChangeRequest(request.Action, request.Slot, request.Version, request.Message);
        // The commit is in the requester's name: they must still hold 'deploy' now, not only when they asked.
        var needs = ChangeRequests.Needs(change, request.Room);
        var theirs = ctx.Config.Policy.Check(new Actor(requester, AccessPolicy.CapstanPlatform, requester.Id), needs.Permission, needs.Command, needs.Environment, needs.Room);
        if (!theirs.Allowed) return CommandResult.Refuse($"Cannot approve {id}: it would be committed in {requester.Id}'s name, and {theirs.Reason}");
        if (!await store.DecideAsync(request.Id, "approved", ctx.Actor.Person!.Id, null, ctx.Cancellation))
            return CommandResult.Refuse($"{id} was decided by someone else a moment ago.");
        await ledger.AppendAsync(new ApprovalApproved(id, request.RequestId, request.Message), ctx.Actor.Person.Id, ctx.Room, ctx.Thread);
        var committed = await changes.CommitAsync(change, requester, [ctx.Actor.Person], request.RequestId, request.Room, request.Thread, ctx.Cancellation);
        if (committed.Outcome == CommandOutcome.Refused) return committed;
        return CommandResult.Ok($"Approved {id}: `{request.Message}` (asked by {request.Requester}) is committed; its progress is shown in the request's thread in #{request.Room}.");
    }

    public async Task<CommandResult> DenyAsync(CommandContext ctx, string id, string reason)
    {
        var (request, problem) = await DecidableAsync(ctx, id);
        if (request is null) return problem!;
        if (!await store.DecideAsync(request.Id, "denied", ctx.Actor.Person!.Id, reason, ctx.Cancellation))
            return CommandResult.Refuse($"{id} was decided by someone else a moment ago.");
        await ledger.AppendAsync(new ApprovalDenied(id, request.RequestId, reason, request.Message), ctx.Actor.Person.Id, ctx.Room, ctx.Thread);
        if (request.Room != ctx.Room || request.Thread != ctx.Thread)
            await outbox.PostAsync(request.Room, request.Thread, new Reply($"{ctx.Actor.Person.Id} denied {id} (`{request.Message}`): {reason}", ReplyTone.Warning));
        return CommandResult.Ok($"Denied {id} (`{request.Message}`, asked by {request.Requester}): {reason}. Nothing was committed.");
    }

    public async Task<CommandResult?> TryCancelAsync(string id, CommandContext ctx)
    {
        await store.EnsureAsync(ctx.Cancellation);
        var request = await store.ApprovalAsync(id, ctx.Cancellation);
        if (request is null) return null;
        if (request.State != ApprovalRequest.Pending) return CommandResult.Refuse($"{request.Id} is already {request.State}; there is nothing to cancel.");
        var isAdmin = ctx.Config.Policy.Check(ctx.Actor, AccessPolicy.AdminPermission, "cancel", request.Environment, ctx.Room).Allowed;
        if (ctx.Actor.Person?.Id != request.Requester && !isAdmin)
            return CommandResult.Refuse($"{request.Id} was asked for by {request.Requester}; only they (or an admin) can cancel it. To refuse it, `deny {request.Id} REASON`.");
        if (!await store.DecideAsync(request.Id, "cancelled", ctx.Actor.LedgerName, null, ctx.Cancellation))
            return CommandResult.Refuse($"{request.Id} was decided a moment ago.");
        await ledger.AppendAsync(new ApprovalCancelled(request.Id, request.RequestId, request.Message), ctx.Actor.LedgerName, ctx.Room, ctx.Thread);
        return CommandResult.Ok($"Cancelled {request.Id}: `{request.Message}` will not be committed.");
    }

    /// <summary>Marks requests past their deadline as expired and says so in their threads.</summary>
    public async Task<int> ExpireDueAsync(CancellationToken ct)
    {
        await store.EnsureAsync(ct);
        var n = 0;
        foreach (var r in await store.PendingApprovalsAsync(ct))
        {
            if (r.ExpiresAt > clock.GetUtcNow()) continue;
            if (!await store.DecideAsync(r.Id, "expired", null, null, ct)) continue;
            n++;
            await ledger.AppendAsync(new ApprovalExpired(r.Id, r.RequestId, r.Message), "capstan", r.Room, r.Thread);
            await outbox.PostAsync(r.Room, r.Thread, new Reply(
                $"Approval request {r.Id} (`{r.Message}`, asked by {r.Requester}) expired at {r.ExpiresAt:HH:mm} UTC without a decision; nothing was committed. Ask again if it is still needed.", ReplyTone.Warning));
        }
        return n;
    }

    // Only the leader expires requests, so a replica never says "expired" in a thread a second time.
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => leadership.WhileLeaderAsync(ExpireWhileLeaderAsync, stoppingToken);

    private async Task ExpireWhileLeaderAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ExpireDueAsync(stoppingToken);
                await Task.Delay(TimeSpan.FromSeconds(1), clock, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or Microsoft.Data.Sqlite.SqliteException)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), clock, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task<(ApprovalRequest? Request, CommandResult? Problem)> DecidableAsync(CommandContext ctx, string id)
    {
        if (ctx.Actor.Person is null) return (null, CommandResult.Refuse("Guests cannot approve or deny changes."));
        await store.EnsureAsync(ctx.Cancellation);
        var request = await store.ApprovalAsync(id, ctx.Cancellation);
        if (request is null)
        {
            var pending = (await store.PendingApprovalsAsync(ctx.Cancellation)).Select(p => $"{p.Id} ({p.Message})").ToList();
            return (null, CommandResult.Invalid($"There is no approval request '{id}'." + (pending.Count > 0 ? $" Pending: {string.Join(", ", pending)}." : " Nothing is waiting for approval.")));
        }
        if (request.State != ApprovalRequest.Pending)
            return (null, CommandResult.Refuse($"{request.Id} is already {request.State}{(request.DecidedBy is { } by ? $" by {by}" : "")}; nothing to do."));
        if (request.ExpiresAt <= clock.GetUtcNow())
        {
            await ExpireDueAsync(ctx.Cancellation);
            return (null, CommandResult.Refuse($"{request.Id} expired at {request.ExpiresAt:yyyy-MM-dd HH:mm} UTC; {request.Requester} must ask again (`{request.Message}`)."));
        }
        if (string.Equals(request.Requester, ctx.Actor.Person.Id, StringComparison.OrdinalIgnoreCase))
        {
            var others = Approvers(ctx.Config.Policy, request.Environment, request.Requester);
            return (null, CommandResult.Refuse($"You asked for {request.Id} yourself; {request.Environment} is protected, so someone else must approve it" +
                (others.Count > 0 ? $" ({string.Join(", ", others)} can)." : ".")));
        }
        var decision = ctx.Config.Policy.Check(ctx.Actor, ApprovePermission, ctx.Command.Spec.Id, request.Environment, ctx.Room);
        if (!decision.Allowed) return (null, CommandResult.Refuse(decision.Reason));
        return (request, null);
    }

    private static List<string> Approvers(AccessPolicy policy, string environment, string requester) =>
        policy.People.Values.Where(p => !string.Equals(p.Id, requester, StringComparison.OrdinalIgnoreCase)
            && policy.Check(new Actor(p, AccessPolicy.CapstanPlatform, p.Id), ApprovePermission, "approve", environment, null).Allowed)
            .Select(p => p.Id).Order(StringComparer.Ordinal).ToList();
}
