using Capstan.Core.Config;
using Capstan.Core.Conversation;
using Capstan.Core.Policy;

namespace Capstan.Core.Commands;

/// <summary>Everything a handler needs: who asked, where, the parsed command, the configuration and services.</summary>
public sealed record CommandContext(
    Actor Actor,
    string Room,
    string Thread,
    string MessageId,
    string RequestId,
    ParsedCommand Command,
    ConfigSnapshot Config,
    Outbox Outbox,
    IServiceProvider Services,
    TimeProvider Clock,
    CancellationToken Cancellation)
{
    /// <summary>Posts a follow-up message in the command's thread (progress, results of slow work).</summary>
    public Task<RoomMessage> FollowUpAsync(Reply reply) => Outbox.PostAsync(Room, Thread, reply, MessageId);

    public T Service<T>() where T : notnull =>
        (T?)Services.GetService(typeof(T)) ?? throw new InvalidOperationException($"{typeof(T).Name} is not available; is its module registered?");
}
