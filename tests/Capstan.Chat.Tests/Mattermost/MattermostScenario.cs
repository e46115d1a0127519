using System.Collections.Concurrent;
using Capstan.Chat.Adapters;
using Capstan.Chat.Mattermost;
using Capstan.Chat.Platforms;
using Capstan.Chat.Store;
using Capstan.Chat.Tests.Bench;
using Capstan.Core.Conversation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Capstan.Chat.Tests.Mattermost;

/// <summary>
/// The Mattermost benchmark: the local server the tests use (API v4 over HTTP, the event stream over a WebSocket), Capstan
/// connected to <c>eng/ops</c>, and bob posting <c>!whoami</c> there — each post its own thread — waiting until Capstan's
/// answer is posted under it. All clients share one room, so Capstan's answers leave through that room's one queue.
/// </summary>
public sealed class MattermostScenario : IPlatformScenario
{
    public string Platform => "mattermost";
    public string Server => "local Mattermost API v4 server (tests)";

    public async Task<IPlatformDriver> StartAsync(CancellationToken ct)
    {
        var rig = await MattermostRig.StartAsync();
        var bytes = await AdapterBytesAsync(rig, ct);
        return new Driver(rig, bytes);
    }

    /// <summary>Managed memory one more connected Mattermost adapter holds: measured around a second adapter on the same node.</summary>
    private static async Task<long> AdapterBytesAsync(MattermostRig rig, CancellationToken ct)
    {
        var node = rig.Node;
        var settings = (MattermostSettings)node.Node.Config.Current.Find<PlatformsConfig>()!.Platforms.Single();
        var s = node.Services;
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var adapter = new MattermostAdapter(settings, s, _ => { });
        var connection = new AdapterConnection(adapter, settings, s.GetRequiredService<IChatStore>(), node.Node.Config, node.Node.Rooms,
            s.GetRequiredService<Conversation>(), node.Node.Redactor, TimeProvider.System, NullLoggerFactory.Instance);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var loop = Task.Run(() => connection.RunAsync(stop.Token), CancellationToken.None);
        await connection.WhenConnected.WaitAsync(TimeSpan.FromSeconds(30), ct);
        var after = GC.GetTotalMemory(forceFullCollection: true);
        await stop.CancelAsync();
        await loop;
        await connection.DisposeAsync();
        await adapter.DisposeAsync();
        return after - before;
    }

    private sealed class Driver : IPlatformDriver
    {
        private readonly MattermostRig _rig;
        private readonly ConcurrentDictionary<string, TaskCompletionSource> _answers = new();

        public Driver(MattermostRig rig, long bytes)
        {
            _rig = rig;
            AdapterBytes = bytes;
            rig.Server.Created = post =>
            {
                if (post.UserId == rig.Server.BotId && post.RootId.Length > 0) Answer(post.RootId).TrySetResult();
            };
        }

        public long AdapterBytes { get; }

        private TaskCompletionSource Answer(string root) => _answers.GetOrAdd(root, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

        public async Task RoundTripAsync(int client, string command, CancellationToken ct)
        {
            var asked = _rig.Server.Say(_rig.Bob, _rig.Ops, "!" + command);
            await Answer(asked).Task.WaitAsync(ct);
            _answers.TryRemove(asked, out _);
        }

        public Task BaselineAsync(int client, string command, CancellationToken ct) =>
            _rig.Node.Services.GetRequiredService<Conversation>().HandleAsync(new IncomingMessage("capstan", "bob", "ops", command, Addressed: true), ct);

        public ValueTask DisposeAsync() => _rig.DisposeAsync();
    }
}
