namespace Capstan.Chat.Adapters;

/// <summary>
/// An adapter whose platform can make a channel for a room Capstan opens at run time (an incident's room). The host calls
/// it once per room, after the adapter connected, and keeps the answer (<see cref="Store.IChatStore.SaveChannelAsync"/>);
/// platforms without it carry such a room's messages in the channel of the room it was opened within, each prefixed
/// with the room's name.
/// </summary>
public interface IChatRoomOpener
{
    /// <summary>
    /// Makes (or finds, when it exists already) a channel for Capstan room <paramref name="room"/> with <paramref name="topic"/>
    /// and returns its platform id, as configured rooms name channels. Throw to fall back to the room it was opened within.
    /// </summary>
    Task<string> OpenChannelAsync(string room, string topic, CancellationToken ct);
}
