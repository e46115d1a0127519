using Capstan.Core.Commands;
using Capstan.Core.Ledger;

namespace Capstan.Core.Conversation;

/// <summary>
/// Where Capstan's own messages go: each is recorded durably in the ledger first, then delivered to
/// every listener of the room (web chat, terminals, platform adapters). Known secrets are replaced here, once,
/// for every copy (the reply returned to the caller, the ledger, the live feed), whichever module wrote the text.
/// </summary>
public sealed class Outbox(Ledger.Ledger ledger, RoomFeed feed, Redactor redactor, TimeProvider clock)
{
    public const string CapstanAuthor = "capstan";

    /// <summary>Posts a reply in a room (in a thread when given) and returns it once recorded and delivered.</summary>
    public async Task<RoomMessage> PostAsync(string room, string? thread, Reply reply, string? inReplyTo = null)
    {
        var message = Prepare(room, thread, reply);
        await RecordAsync(message, inReplyTo);
        await feed.PublishAsync(new RoomEvent(RoomEvent.Posted, message));
        return message;
    }

    /// <summary>Builds a reply message without sending it (for callers that batch ledger writes).</summary>
    public RoomMessage Prepare(string room, string? thread, Reply reply) =>
        new(RoomMessage.NewId(), room, thread, CapstanAuthor, AuthorKind.Capstan, redactor.Redact(reply.Text), reply.Tone, clock.GetUtcNow(), reply.Table?.MapCells(redactor.Redact), Attachments: reply.Attachments, Actions: reply.Actions);

    /// <summary>Records a reply in the ledger (in <paramref name="batch"/> when given: written together with its question).</summary>
    public Task<LedgerEntry> RecordAsync(RoomMessage m, string? inReplyTo, LedgerBatch? batch = null) =>
        ledger.AppendAsync(batch, LedgerKinds.Reply, CapstanAuthor, m.Room, m.ThreadId ?? m.Id,
            new { id = m.Id, text = m.Text, tone = m.Tone.ToString().ToLowerInvariant(), table = m.Table, attachments = m.Attachments, inReplyTo });

    public ValueTask DeliverAsync(RoomMessage m) => feed.PublishAsync(new RoomEvent(RoomEvent.Posted, m));

    /// <summary>Replaces the text of a message Capstan posted earlier (progress shown in place).</summary>
    public async Task<RoomMessage> EditAsync(RoomMessage message, Reply reply)
    {
        var edited = message with { Text = redactor.Redact(reply.Text), Tone = reply.Tone, Table = reply.Table?.MapCells(redactor.Redact), Attachments = reply.Attachments, Actions = reply.Actions, EditedAt = clock.GetUtcNow() };
        await ledger.AppendAsync(LedgerKinds.Edit, CapstanAuthor, edited.Room, edited.ThreadId ?? edited.Id,
            new { id = edited.Id, text = edited.Text, tone = edited.Tone.ToString().ToLowerInvariant(), table = edited.Table, attachments = edited.Attachments });
        await feed.PublishAsync(new RoomEvent(RoomEvent.Edited, edited));
        return edited;
    }
}
