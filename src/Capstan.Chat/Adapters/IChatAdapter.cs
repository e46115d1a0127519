using Capstan.Chat.Text;
using Capstan.Core.Conversation;

namespace Capstan.Chat.Adapters;

/// <summary>
/// One connection to one chat platform (an IRC network, a Slack workspace, a Matrix homeserver …), made by its
/// <see cref="Platforms.IChatPlatform"/>. The <see cref="AdapterHost"/> owns everything the platforms share: it calls
/// <see cref="RunAsync"/> again after a session ends (backoff with jitter), turns what the session receives into
/// conversation messages (identity, rooms, threads, addressing, deduplication, the ledger), and feeds Capstan's messages
/// to <see cref="PostAsync"/> and <see cref="EditAsync"/> in order per room, waiting while the platform is unreachable
/// so nothing is lost. An adapter only speaks its protocol.
/// </summary>
public interface IChatAdapter : IAsyncDisposable
{
    /// <summary>The platform's name, the key under <c>platforms:</c> (<c>irc</c>).</summary>
    string Platform { get; }

    /// <summary>How Capstan's text is written on this platform (escaping, code blocks, length limits).</summary>
    ChatMarkup Markup { get; }

    /// <summary>How often a message may be edited here, and whether edits are in place (<see cref="EditLimit.InPlace"/>).</summary>
    EditLimit Edits { get; }

    /// <summary>
    /// The names people use to address Capstan here besides <c>capstan</c> (the IRC nick it got, the bot's user name);
    /// read for every message, so it may change while connected.
    /// </summary>
    IReadOnlyList<string> SelfNames { get; }

    /// <summary>
    /// Connects and runs one session: calls <see cref="AdapterSession.Connected"/> once it can send, hands every message
    /// it receives to <see cref="AdapterSession.ReceiveAsync"/>, and returns or throws when the session ends (a dropped
    /// connection, a <c>disconnect</c> frame, an expired token). The host calls it again after a backoff; it is never
    /// called twice at once. Cancelled when Capstan stops or this process stops leading.
    /// </summary>
    Task RunAsync(AdapterSession session, CancellationToken ct);

    /// <summary>
    /// Posts one piece of text (already rendered with <see cref="Markup"/> and within its length) and returns the
    /// platform's id for it (used to edit it and to reply in its thread). Throws <see cref="ChatDeliveryRefused"/> when
    /// the platform refuses it for good (an unknown channel); any other exception means "try again later".
    /// </summary>
    Task<string> PostAsync(ChatDestination to, string text, CancellationToken ct);

    /// <summary>Replaces the text of a message posted earlier (only called when <see cref="EditLimit.InPlace"/>).</summary>
    Task EditAsync(ChatDestination to, string messageRef, string text, CancellationToken ct);
}

/// <summary>
/// Where a message goes on the platform: a channel (its platform id: <c>#ops</c>, <c>C0123</c>, <c>!abc:example.org</c>) or,
/// when <paramref name="Direct"/>, a person's configured handle (the adapter opens the direct conversation); in the thread
/// of <paramref name="ThreadRef"/> (a platform message id) where the platform has threads. <paramref name="Key"/> is the same
/// for every attempt to post the same part of the same Capstan message (its id and the part's number), so a platform that
/// makes sends idempotent (Matrix's transaction ids) does not post twice when a send is retried after a dropped connection.
/// </summary>
public sealed record ChatDestination(string Channel, bool Direct = false, string? ThreadRef = null, string? Key = null);

/// <summary>
/// A message an adapter received. <paramref name="DeliveryId"/> is unique per message on the platform (Slack's event id,
/// Matrix's event id, Mattermost's post id; IRC and XMPP make one), so a redelivery is answered once.
/// <paramref name="Channel"/> is where it was said (for a direct message, the conversation's id); <paramref name="MessageRef"/>
/// the platform's id for it (replies thread under it); <paramref name="ThreadRef"/> the thread it is in, if any.
/// <paramref name="Addressed"/> is true when the platform itself marked it as for Capstan (a mention the adapter removed
/// from <paramref name="Text"/>); the host also recognises <c>capstan: …</c>, <c>capstan …</c> and <c>!…</c>.
/// </summary>
public sealed record ChatInbound(string DeliveryId, string Channel, bool Direct, ChatSender Sender, string Text, string MessageRef, string? ThreadRef = null, bool Addressed = false);

/// <summary>
/// Who sent a message: <paramref name="Handle"/> is what people configure under <c>handles:</c> for this platform and what
/// a <c>link</c> records (Slack's user id, a Matrix user id, an IRC account or <c>nick!user@host</c>); <paramref name="Display"/>
/// a name to show. <paramref name="Matches"/>, when given, decides whether a configured handle is this sender (IRC
/// patterns); otherwise handles must be equal. Messages from Capstan itself or from other bots are ignored.
/// </summary>
public sealed record ChatSender(string Handle, string Display, bool IsBot = false, bool IsSelf = false, Func<string, bool>? Matches = null);

/// <summary>The platform refused a message for good (it will not be retried): the reason is logged and shown in <c>capstan adapters</c>.</summary>
public sealed class ChatDeliveryRefused(string message, Exception? inner = null) : Exception(message, inner);
