using System.Diagnostics;
using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Ledger;
using Capstan.Core.Policy;
using Capstan.Core.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Capstan.Core.Conversation;

/// <summary>
/// The conversation loop: a message comes in, is recorded, becomes a typed command, is authorised,
/// confirmed when destructive, runs, and is answered in its thread. Every step is in the ledger,
/// and the ledger is durable before any reply is delivered.
/// </summary>
public sealed class Conversation(
    CommandRegistry registry,
    ConfigState config,
    RoomDirectory rooms,
    Ledger.Ledger ledger,
    RoomFeed feed,
    Outbox outbox,
    Confirmations confirmations,
    CapstanMetrics metrics,
    IServiceProvider services,
    TimeProvider clock,
    ILogger<Conversation>? log = null)
{
    private readonly ILogger _log = log ?? NullLogger<Conversation>.Instance;

    /// <summary>The longest message accepted, in characters.</summary>
    public const int MaxLength = 16_000;

    public async Task<ConversationResult> HandleAsync(IncomingMessage incoming, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var snapshot = config.Current;
        var actor = snapshot.Policy.Identify(incoming.Platform, incoming.Handle, incoming.Via, incoming.Matches);
        var room = incoming.Room.TrimStart('#').ToLowerInvariant();
        metrics.Message(incoming.Platform);

        if (string.IsNullOrWhiteSpace(incoming.Text))
            return Refusal(room, "That message is empty. Type `help` to see what you can do.");
        var roomNames = rooms.Names;
        if (!rooms.Exists(room))
            return Refusal(room, ArgumentKind.Unknown("room", room, roomNames.Where(r => RoomDirectory.MayEnter(r, actor.RoomKey))) + ".");
        if (!RoomDirectory.MayEnter(room, actor.RoomKey))
            return Refusal(room, RoomDirectory.WhyPrivate(room));
        if (incoming.Text.Length > MaxLength)
        {
            await ledger.AppendAsync(LedgerKinds.MessageRefused, actor.LedgerName, room, incoming.ThreadId,
                new { length = incoming.Text.Length, preview = incoming.Text[..200], platform = incoming.Platform, via = incoming.Via });
            return Refusal(room, $"That message is {incoming.Text.Length:N0} characters; the limit is {MaxLength:N0}. Split it, or share long text as a file or link.");
        }

        var outcome = CommandParser.Parse(incoming.Text, registry, new ArgumentContext(snapshot, roomNames), incoming.Addressed);
        // A read-only command (or one that was not understood) is answered from one ledger batch: the message, the
        // command, the decision and the reply are written together, with one disk sync, and nothing is delivered
        // before all of them are durable. Anything that may have effects writes its message first and waits for it.
        using var batch = outcome is ParseOutcome.Problem or ParseOutcome.Command { Parsed.Spec: { Effect: SideEffect.Read, NeedsConfirmation: false } }
            ? ledger.Batch()
            : null;

        var message = new RoomMessage(incoming.Id ?? RoomMessage.NewId(), room, incoming.ThreadId, actor.Display,
            actor.IsGuest ? AuthorKind.Guest : AuthorKind.Person, incoming.Text, ReplyTone.Info, clock.GetUtcNow(), Platform: incoming.Platform);
        var thread = incoming.ThreadId ?? message.Id;
        var recorded = ledger.AppendAsync(batch, LedgerKinds.Message, actor.LedgerName, room, thread,
            new { id = message.Id, text = incoming.Text, platform = incoming.Platform, handle = incoming.Handle, via = incoming.Via, token = incoming.Token, author = actor.Display });
        // The message reaches listeners once it is durable, and always before its answers.
        var published = PublishWhenRecordedAsync(recorded, message);

        CommandResult result;
        string? commandId = null;
        switch (outcome)
        {
            case ParseOutcome.Chat:
                await published;
                return new ConversationResult(message.Id, CommandOutcome.NotACommand, []);
            case ParseOutcome.Problem p:
                commandId = p.Spec?.Id;
                _ = ledger.AppendAsync(batch, LedgerKinds.Command, actor.LedgerName, room, thread,
                    new { message = message.Id, command = p.Spec?.Id, problem = p.Message });
                result = CommandResult.Invalid(p.Message);
                break;
            case ParseOutcome.Command c:
                commandId = c.Parsed.Spec.Id;
                // Anything that may have effects (or may confirm an earlier command) waits for the message to be durable first.
                if (batch is null) await published;
                result = await RunAsync(actor, room, thread, message.Id, c.Parsed, snapshot, askConfirmation: true, ct, batch);
                break;
            default:
                throw new UnreachableException();
        }
        var replies = await ReplyAsync(room, thread, message.Id, result, published, batch);
        metrics.Command(commandId ?? "(unknown)", result.Outcome.ToString(), Stopwatch.GetElapsedTime(started));
        return new ConversationResult(message.Id, result.Outcome, replies, commandId, result.Following);
    }

    /// <summary>Authorises and runs a parsed command (also used by "confirm ID").</summary>
    public async Task<CommandResult> RunAsync(Actor actor, string room, string thread, string messageId, ParsedCommand parsed, ConfigSnapshot snapshot, bool askConfirmation, CancellationToken ct, LedgerBatch? batch = null)
    {
        var spec = parsed.Spec;
        var requestId = "r" + messageId[1..];
        var decision = snapshot.Policy.Check(actor, spec.Permission, spec.Id, parsed.Environment, room);
        var commandEntry = ledger.AppendAsync(batch, LedgerKinds.Command, actor.LedgerName, room, thread,
            new { message = messageId, request = requestId, command = spec.Id, arguments = parsed.ForLedger(), flags = parsed.Flags, effect = spec.Effect.ToString().ToLowerInvariant(), via = actor.Via });
        var decisionEntry = ledger.AppendAsync(batch, LedgerKinds.Decision, actor.LedgerName, room, thread,
            new { request = requestId, command = spec.Id, permission = spec.Permission, environment = parsed.Environment, allowed = decision.Allowed, reason = decision.Reason });
        if (!decision.Allowed) return CommandResult.Refuse(decision.Reason);

        if (askConfirmation && spec.NeedsConfirmation && actor.Person is { } person)
        {
            var pending = confirmations.Ask(person.Id, room, thread, messageId, parsed);
            await ledger.AppendAsync(LedgerKinds.Confirmation, actor.LedgerName, room, thread,
                new { request = requestId, command = spec.Id, token = pending.Id, state = "asked", expiresAt = pending.ExpiresAt });
            return CommandResult.Pending($"`{parsed.Text}` is destructive: {spec.Summary.TrimEnd('.')}. " +
                $"Type `confirm {pending.Id}` within {DurationText.Format(Confirmations.Lifetime)} to go ahead, or `cancel {pending.Id}`.",
                [new ReplyAction("Confirm", $"confirm {pending.Id}", ActionStyle.Danger), new ReplyAction("Cancel", $"cancel {pending.Id}")]);
        }

        // Effects must never precede their record: wait until the command and decision are durable.
        if (spec.Effect != SideEffect.Read) { await commandEntry; await decisionEntry; }
        var context = new CommandContext(actor, room, thread, messageId, requestId, parsed, snapshot, outbox, clock, ct) { Services = services };
        try
        {
            var running = spec.Handler(context);
            // A handler that has to wait (probes, git, queries) must not keep the message unrecorded and unseen meanwhile:
            // the batch then goes ahead, and only an answer that is ready at once shares its message's disk sync.
            if (!running.IsCompleted) batch?.Release();
            return await running;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return CommandResult.Fail($"'{spec.Id}' was cancelled before it finished.");
        }
        catch (Exception ex)
        {
            _log.LogError(ex, "Command {Command} (request {Request}) failed with an unexpected error", spec.Id, requestId);
            var entry = await ledger.AppendAsync("command.error", actor.LedgerName, room, thread,
                new { request = requestId, command = spec.Id, error = ex.GetType().Name, detail = ex.Message });
            return CommandResult.Fail($"'{spec.Id}' failed: {ex.Message} (ledger entry {entry.Seq} has the details).");
        }
    }

    private async Task PublishWhenRecordedAsync(Task<LedgerEntry> recorded, RoomMessage message)
    {
        await recorded;
        await feed.PublishAsync(new RoomEvent(RoomEvent.Posted, message));
    }

    private async Task<IReadOnlyList<RoomMessage>> ReplyAsync(string room, string thread, string inReplyTo, CommandResult result, Task messagePublished, LedgerBatch? batch)
    {
        var replies = result.Replies.Select(r => outbox.Prepare(room, thread, r)).ToList();
        Task? last = null;
        foreach (var r in replies) last = outbox.RecordAsync(r, inReplyTo, batch);
        batch?.Release();
        await messagePublished;           // the question reaches listeners before its answers
        if (last is not null) await last; // the ledger writes in order: the last one durable means all are
        foreach (var r in replies) await outbox.DeliverAsync(r);
        return replies;
    }

    private ConversationResult Refusal(string room, string text) =>
        new(null, CommandOutcome.Invalid, [new RoomMessage(RoomMessage.NewId(), room, null, Outbox.CapstanAuthor, AuthorKind.Capstan, text, ReplyTone.Error, clock.GetUtcNow())]);
}
