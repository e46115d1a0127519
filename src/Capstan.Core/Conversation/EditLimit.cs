namespace Capstan.Core.Conversation;

/// <summary>
/// How often a chat place lets Capstan change a message it already posted. Edits that come faster are
/// merged: the place gets at most one update per message per <see cref="Interval"/>, and always the newest.
/// </summary>
/// <param name="Interval">The shortest time between two updates of the same message at this place.</param>
/// <param name="InPlace">False for places that cannot edit (IRC): each update arrives as a new message, so the interval should be long.</param>
public sealed record EditLimit(TimeSpan Interval, bool InPlace = true)
{
    /// <summary>The web chat and terminal chat (Server-Sent Events): live, at most four updates a second per message.</summary>
    public static readonly EditLimit Live = new(TimeSpan.FromMilliseconds(250));

    /// <summary>A platform that edits in place at most once per <paramref name="interval"/> per message (Slack: about a second).</summary>
    public static EditLimit Every(TimeSpan interval) => new(Positive(interval));

    /// <summary>A platform that cannot edit: updates are posted as new messages, at most once per <paramref name="interval"/>.</summary>
    public static EditLimit Reposts(TimeSpan interval) => new(Positive(interval), InPlace: false);

    private static TimeSpan Positive(TimeSpan t) =>
        t > TimeSpan.Zero ? t : throw new ArgumentOutOfRangeException(nameof(t), t, "an edit interval must be longer than zero");
}

/// <summary>
/// A place where Capstan's messages are delivered: the web chat, the terminal chat, and each chat platform
/// adapter (Slack, Mattermost, Matrix, IRC). It declares its own <see cref="EditLimit"/>; attach it with
/// <see cref="RoomFeed.Attach"/> and it receives posts at once and edits at the pace it declared.
/// </summary>
public interface IChatPlace
{
    /// <summary>A short name for logs: web, slack, irc.</summary>
    string Name { get; }

    /// <summary>How often this place takes an update of one message.</summary>
    EditLimit Edits { get; }

    /// <summary>
    /// Shows an event. An <see cref="RoomEvent.Edited"/> event carries the message's whole newest state. Calls for
    /// one message never overlap; calls for different messages may.
    /// </summary>
    ValueTask DeliverAsync(RoomEvent e);
}
