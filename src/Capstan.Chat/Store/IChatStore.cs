namespace Capstan.Chat.Store;

/// <summary>A Capstan message as posted on a platform: the channel and the platform's id for it.</summary>
public sealed record PlatformMessage(string Channel, string Ref);

/// <summary>A Capstan room's channel on a platform, kept because it was made at run time (an incident's channel, a direct conversation).</summary>
public sealed record PlatformChannel(string Room, string Channel, bool Direct);

/// <summary>
/// What the chat adapters keep across restarts: deliveries already taken (a redelivery is answered once), which platform
/// message each Capstan message is (threads and edits), cursors (Matrix's <c>next_batch</c>) and channels opened at run time.
/// </summary>
public interface IChatStore
{
    /// <summary>True the first time a delivery is seen on a platform; false for a redelivery.</summary>
    Task<bool> ClaimDeliveryAsync(string platform, string deliveryId, CancellationToken ct);

    /// <summary>Forgets deliveries taken before <paramref name="before"/> (platforms redeliver for minutes, not days).</summary>
    Task<int> ForgetDeliveriesAsync(DateTimeOffset before, CancellationToken ct);

    /// <summary>Records that Capstan message <paramref name="capstanId"/> is <paramref name="message"/> on a platform.</summary>
    Task MapMessageAsync(string platform, string capstanId, PlatformMessage message, CancellationToken ct);

    /// <summary>The platform message a Capstan message was posted as (or came from), if any.</summary>
    Task<PlatformMessage?> PlatformMessageAsync(string platform, string capstanId, CancellationToken ct);

    /// <summary>The Capstan message a platform message is, if any.</summary>
    Task<string?> CapstanIdAsync(string platform, string messageRef, CancellationToken ct);

    Task<string?> CursorAsync(string platform, string key, CancellationToken ct);

    Task SaveCursorAsync(string platform, string key, string value, CancellationToken ct);

    /// <summary>Remembers a room's channel on a platform (replacing an earlier one).</summary>
    Task SaveChannelAsync(string platform, PlatformChannel channel, CancellationToken ct);

    Task<IReadOnlyList<PlatformChannel>> ChannelsAsync(string platform, CancellationToken ct);
}
