using Capstan.Core.Commands;

namespace Capstan.Core.Conversation;

/// <summary>Who wrote a room message.</summary>
public enum AuthorKind { Person, Guest, Capstan }

/// <summary>A message as it appears in a room: from a person or from Capstan, possibly in a thread.</summary>
public sealed record RoomMessage(
    string Id,
    string Room,
    string? ThreadId,
    string Author,
    AuthorKind AuthorKind,
    string Text,
    ReplyTone Tone,
    DateTimeOffset At,
    Table? Table = null,
    DateTimeOffset? EditedAt = null,
    string? Platform = null,
    IReadOnlyList<Attachment>? Attachments = null,
    IReadOnlyList<ReplyAction>? Actions = null)
{
    /// <summary>A new message id; ids sort by creation time (see <see cref="MessageIds"/>).</summary>
    public static string NewId() => MessageIds.Next();
}

/// <summary>
/// Message ids that grow with time ("m" + 14 hex digits: milliseconds since 2020 and a counter), so the ledger's
/// thread index is appended at its end instead of being written all over: one page per batch, not one per message.
/// </summary>
public static class MessageIds
{
    private static readonly long Epoch = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
    private const int CounterBits = 14;
    private static long _last;

    public static string Next()
    {
        var now = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - Epoch) << CounterBits;
        long last, next;
        do
        {
            last = Volatile.Read(ref _last);
            // A new millisecond starts at a random counter (ids from separate processes rarely meet); within one, count up.
            next = now > last ? now | (long)Random.Shared.Next(1 << (CounterBits - 2)) : last + 1;
        } while (Interlocked.CompareExchange(ref _last, next, last) != last);
        return "m" + next.ToString("x14", System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>
/// A person's message arriving from any chat adapter (with the id of the API token or session it came with, if any).
/// A platform adapter may give the message its id in advance (<paramref name="Id"/>, from <see cref="RoomMessage.NewId"/>) so it
/// can map the platform's message to it before any reply is delivered, and may say how a configured handle matches the
/// speaker (<paramref name="Matches"/>: IRC's <c>nick!user@host</c> patterns and accounts) instead of plain equality.
/// </summary>
public sealed record IncomingMessage(string Platform, string Handle, string Room, string Text, string? ThreadId = null, bool Addressed = false, string? Via = null, string? Token = null,
    string? Id = null, Func<string, bool>? Matches = null);

/// <summary>What happened to an incoming message: its id, the outcome and Capstan's replies.</summary>
public sealed record ConversationResult(string? MessageId, CommandOutcome Outcome, IReadOnlyList<RoomMessage> Replies, string? Command = null, bool Following = false);
