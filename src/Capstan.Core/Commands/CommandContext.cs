using Capstan.Core.Config;
using Capstan.Core.Conversation;
using Capstan.Core.Policy;

namespace Capstan.Core.Commands;

/// <summary>
/// Who asked, where, the parsed command and the configuration. Arguments are read through their declarations
/// (<c>ctx.Get(App)</c>); services are not looked up here but handed to the handler (<see cref="CommandSpec.Runs{TService}"/>).
/// </summary>
public sealed record CommandContext(
    Actor Actor,
    string Room,
    string Thread,
    string MessageId,
    string RequestId,
    ParsedCommand Command,
    ConfigSnapshot Config,
    Outbox Outbox,
    TimeProvider Clock,
    CancellationToken Cancellation)
{
    /// <summary>Where the services a handler asks for come from: the node's, set by the conversation.</summary>
    internal IServiceProvider Services { get; init; } = EmptyServices.Instance;

    /// <summary>Posts a follow-up message in the command's thread (progress, results of slow work).</summary>
    public Task<RoomMessage> FollowUpAsync(Reply reply) => Outbox.PostAsync(Room, Thread, reply, MessageId);

    /// <inheritdoc cref="ParsedCommand.Get{T}(Argument{T})"/>
    public T Get<T>(Argument<T> argument) where T : notnull => Command.Get(argument);

    /// <inheritdoc cref="ParsedCommand.Get{T}(Argument{T}, T)"/>
    public T Get<T>(Argument<T> argument, T otherwise) where T : notnull => Command.Get(argument, otherwise);

    /// <inheritdoc cref="ParsedCommand.Find{T}(Argument{T})"/>
    public T? Find<T>(Argument<T> argument) where T : class => Command.Find(argument);

    /// <inheritdoc cref="ParsedCommand.Has(FlagSpec)"/>
    public bool Has(FlagSpec flag) => Command.Has(flag);

    /// <summary>A service a handler declared; several of a kind come as <c>IEnumerable&lt;T&gt;</c> (none is an empty list).</summary>
    internal T Resolve<T>() where T : notnull =>
        (T?)Services.GetService(typeof(T)) ?? throw new InvalidOperationException($"{Describe(typeof(T))} is not available; is its module registered?");

    private static string Describe(Type type) => type.IsGenericType
        ? $"{type.Name[..type.Name.IndexOf('`')]}<{string.Join(", ", type.GetGenericArguments().Select(Describe))}>"
        : type.Name;

    private sealed class EmptyServices : IServiceProvider
    {
        public static readonly EmptyServices Instance = new();
        public object? GetService(Type serviceType) => null;
    }
}
