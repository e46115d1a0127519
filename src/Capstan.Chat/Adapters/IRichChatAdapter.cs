using Capstan.Core.Conversation;

namespace Capstan.Chat.Adapters;

/// <summary>
/// An adapter that shows more of a Capstan message than its text, such as buttons for its <see cref="RoomMessage.Actions"/>
/// (Slack's Block Kit). The host calls these instead of <see cref="IChatAdapter.PostAsync"/> and <see cref="IChatAdapter.EditAsync"/>,
/// passing the message each rendered part belongs to; <paramref name="lastPart"/> marks the part that carries the buttons.
/// </summary>
public interface IRichChatAdapter
{
    Task<string> PostAsync(ChatDestination to, string text, RoomMessage message, bool lastPart, CancellationToken ct);

    Task EditAsync(ChatDestination to, string messageRef, string text, RoomMessage message, CancellationToken ct);
}
