using Capstan.Chat.Tests.Bench;
using Capstan.Core.Conversation;
using Microsoft.Extensions.DependencyInjection;

namespace Capstan.Chat.Tests.Xmpp;

/// <summary>
/// The XMPP benchmark: a real Prosody, Capstan in the ops room, and bob's client addressing Capstan there. Answers in a room
/// reach everyone in it and carry nothing that ties them to a question, so round trips take turns (one question at a time).
/// </summary>
public sealed class XmppScenario : IPlatformScenario
{
    public string Platform => "xmpp";
    public string Server => "Prosody 0.12 (Debian)";

    public async Task<IPlatformDriver> StartAsync(CancellationToken ct)
    {
        var server = await ProsodyServer.StartAsync(rate: "10mb/s");
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var node = await XmppTests.StartCapstanAsync(server);
        await XmppTests.ConnectedAsync(node);
        var bob = await XmppTests.InOpsAsync(server, "bob");
        var bytes = GC.GetTotalMemory(forceFullCollection: true) - before;
        return new Driver(server, node, bob, bytes);
    }

    private sealed class Driver : IPlatformDriver
    {
        private readonly ProsodyServer _server;
        private readonly ChatNode _node;
        private readonly XmppPerson _bob;
        private readonly SemaphoreSlim _turn = new(1, 1);
        private readonly SemaphoreSlim _answered = new(0);

        public Driver(ProsodyServer server, ChatNode node, XmppPerson bob, long bytes)
        {
            _server = server;
            _node = node;
            _bob = bob;
            AdapterBytes = bytes;
            bob.Arrived += (from, _) => { if (from == XmppTests.CapstanInOps) _answered.Release(); };
        }

        /// <summary>Measured as the node with its XMPP adapter connected (the whole node, so an upper bound for the adapter alone).</summary>
        public long AdapterBytes { get; }

        public async Task RoundTripAsync(int client, string command, CancellationToken ct)
        {
            await _turn.WaitAsync(ct);
            try
            {
                while (_answered.CurrentCount > 0) await _answered.WaitAsync(ct);
                await _bob.SayAsync(XmppTests.Ops, "capstan: " + command);
                await _answered.WaitAsync(ct);
            }
            finally { _turn.Release(); }
        }

        public Task BaselineAsync(int client, string command, CancellationToken ct) =>
            _node.Services.GetRequiredService<Conversation>().HandleAsync(new IncomingMessage("capstan", "bob", "ops", command, Addressed: true), ct);

        public async ValueTask DisposeAsync()
        {
            await _bob.DisposeAsync();
            await _node.DisposeAsync();
            await _server.DisposeAsync();
        }
    }
}
