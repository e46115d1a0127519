using Capstan.Chat.Adapters;
using Capstan.Chat.Matrix;
using Capstan.Chat.Tests.Bench;
using Capstan.Core.Conversation;

namespace Capstan.Chat.Tests.Matrix;

/// <summary>The Matrix benchmark: bob asks in #ops on the local homeserver and waits for the answer in his thread.</summary>
public sealed class MatrixScenario : IPlatformScenario
{
    private const string Bob = "@bob:example.org";

    public string Platform => "matrix";
    public string Server => "local Matrix homeserver (tests, client-server API v3)";

    public async Task<IPlatformDriver> StartAsync(CancellationToken ct)
    {
        var server = LocalHomeserver.Start();
        static string People(string yaml) => yaml.Replace("handles: { irc: bob }", $"handles: {{ irc: bob, matrix: \"{Bob}\" }}");
        var node = await ChatNode.StartAsync([new MatrixPlatform()], "platforms:", People);
        var without = Memory();
        var problem = await node.ConfigureAsync(server.Yaml(), People);
        if (problem is not null) throw new InvalidOperationException("the Matrix configuration was refused");
        await Eventually.TrueAsync(() => node.Host.Statuses.SingleOrDefault()?.State == AdapterState.Connected, "the Matrix adapter is connected", TimeSpan.FromMinutes(1));
        return new Driver(server, node, Memory() - without);
    }

    private static long Memory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(true);
    }

    private sealed class Driver(LocalHomeserver server, ChatNode node, long bytes) : IPlatformDriver
    {
        private readonly Conversation _conversation = node.Node.Conversation(node.Services);
        private int _ids;

        public long AdapterBytes => bytes;

        public async Task RoundTripAsync(int client, string command, CancellationToken ct)
        {
            var id = $"$bench{Interlocked.Increment(ref _ids)}-{client}";
            var answer = server.ReplyTo(id);
            server.Say(LocalHomeserver.Ops, Bob, "!" + command, eventId: id);
            await answer.WaitAsync(ct);
        }

        public Task BaselineAsync(int client, string command, CancellationToken ct) =>
            _conversation.HandleAsync(new IncomingMessage("web", "bob", "ops", command, Addressed: true), ct);

        public async ValueTask DisposeAsync()
        {
            await node.DisposeAsync();
            await server.DisposeAsync();
        }
    }
}
