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
    IReadOnlyList<Attachment>? Attachments = null)
{
    public static string NewId() => "m" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6));
}

/// <summary>A person's message arriving from any chat adapter (with the id of the API token or session it came with, if any).</summary>
public sealed record IncomingMessage(string Platform, string Handle, string Room, string Text, string? ThreadId = null, bool Addressed = false, string? Via = null, string? Token = null);

/// <summary>What happened to an incoming message: its id, the outcome and Capstan's replies.</summary>
public sealed record ConversationResult(string? MessageId, CommandOutcome Outcome, IReadOnlyList<RoomMessage> Replies, string? Command = null, bool Following = false);
