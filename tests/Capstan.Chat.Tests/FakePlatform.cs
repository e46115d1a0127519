using System.Collections.Concurrent;
using System.Threading.Channels;
using Capstan.Chat.Adapters;
using Capstan.Chat.Platforms;
using Capstan.Chat.Text;
using Capstan.Core.Conversation;

namespace Capstan.Chat.Tests;

/// <summary>Settings of the in-memory platform: its rooms only.</summary>
public sealed record FakeSettings(IReadOnlyDictionary<string, string> Rooms) : PlatformSettings("fake", Rooms);

/// <summary>
/// A chat platform in memory for the host's own checks (identity, rooms, threads, deduplication, order, reconnects): the
/// test says what people write and reads what Capstan posted. The real platforms are tested against real or local servers.
/// </summary>
public sealed class FakePlatform(FakeAdapter? adapter = null) : IChatPlatform
{
    public FakeAdapter Adapter { get; } = adapter ?? new();
    public string Name => "fake";
    public IReadOnlyList<string> Keys => [];
    public PlatformSettings Read(PlatformReading entry) => new FakeSettings(entry.Rooms);
    /// <summary>When set, making the adapter fails with this message (a secret that cannot be read, a service that is missing).</summary>
    public string? CreateFails { get; set; }

    public IChatAdapter Create(PlatformSettings settings, IServiceProvider services) =>
        CreateFails is { } why ? throw new InvalidOperationException(why) : Adapter;
}

/// <summary>One post Capstan made on the fake platform.</summary>
public sealed record FakePost(string Id, ChatDestination To, string Text, string? EditedTo = null);

public class FakeAdapter : IChatAdapter
{
    private readonly Channel<ChatInbound> _incoming = Channel.CreateUnbounded<ChatInbound>();
    private int _ids;
    private volatile TaskCompletionSource _sessionEnds = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ConcurrentQueue<FakePost> Posts { get; } = new();
    public ConcurrentDictionary<string, string> Edits { get; } = new();
    public int Sessions;

    /// <summary>While set, a new session fails before it connects (an unreachable server).</summary>
    public volatile bool Unreachable;

    /// <summary>While set, posts fail (the connection dropped mid-reply).</summary>
    public volatile bool FailPosts;

    public string Platform => "fake";
    public ChatMarkup Markup { get; set; } = new PlainMarkup(4000);
    EditLimit IChatAdapter.Edits => EditLimit.Every(TimeSpan.FromMilliseconds(10));
    public IReadOnlyList<string> SelfNames => ["capbot"];

    public void Say(ChatInbound m) => _incoming.Writer.TryWrite(m);

    /// <summary>Ends the current session as a dropped connection would.</summary>
    public void Drop() => _sessionEnds.TrySetException(new IOException("connection reset by peer"));

    public async Task RunAsync(AdapterSession session, CancellationToken ct)
    {
        Interlocked.Increment(ref Sessions);
        if (Unreachable) throw new IOException("connection refused");
        _sessionEnds = new(TaskCreationOptions.RunContinuationsAsynchronously);
        session.Connected("fake server");
        var ends = _sessionEnds.Task;
        while (true)
        {
            var next = _incoming.Reader.WaitToReadAsync(ct).AsTask();
            if (await Task.WhenAny(next, ends) == ends) { await ends; return; }
            if (!await next) return;
            while (_incoming.Reader.TryRead(out var m)) await session.ReceiveAsync(m, ct);
        }
    }

    public Task<string> PostAsync(ChatDestination to, string text, CancellationToken ct)
    {
        if (FailPosts) throw new IOException("broken pipe");
        if (to.Channel == "C-GONE") throw new ChatDeliveryRefused("channel_not_found");
        var id = "p" + Interlocked.Increment(ref _ids);
        Posts.Enqueue(new FakePost(id, to, text));
        return Task.FromResult(id);
    }

    public Task EditAsync(ChatDestination to, string messageRef, string text, CancellationToken ct)
    {
        Edits[messageRef] = text;
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>The fake platform where Capstan can make channels (as Slack, Mattermost and Matrix can): rooms opened at run time get <c>C-ROOM</c>.</summary>
public sealed class FakeChannelAdapter : FakeAdapter, IChatRoomOpener
{
    public ConcurrentQueue<(string Room, string Topic)> Opened { get; } = new();

    public Task<string> OpenChannelAsync(string room, string topic, CancellationToken ct)
    {
        Opened.Enqueue((room, topic));
        return Task.FromResult("C-" + room.ToUpperInvariant());
    }
}
