using Capstan.Chat.Adapters;
using Capstan.Chat.Irc;
using Capstan.Chat.Platforms;
using Capstan.Chat.Store;
using Capstan.Chat.Tests.Bench;
using Capstan.Core.Conversation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Capstan.Chat.Tests.Irc;

/// <summary>
/// The IRC benchmark: a real ngIRCd, Capstan joined to one channel per client (#r0 … #r7, each its own Capstan room), and
/// people's raw clients (all bob, known by his mask) saying <c>!whoami</c> in their channel and waiting for the answer.
/// Capstan's flood gate is opened wide here (burst 100, 1000 lines/s) so the numbers show the adapter, not the pacing a
/// public network needs; ngIRCd's own per-client throttling still applies.
/// </summary>
public sealed class IrcScenario : IPlatformScenario
{
    public string Platform => "irc";
    public string Server => "ngIRCd 26.1 (Debian)";

    public async Task<IPlatformDriver> StartAsync(CancellationToken ct)
    {
        const int clients = 8;
        var server = await Ngircd.StartAsync();
        var rooms = string.Join(", ", Enumerable.Range(0, clients).Select(i => $"r{i}: \"#r{i}\""));
        var declared = string.Concat(Enumerable.Range(0, clients).Select(i => $"  r{i}: {{ topic: \"bench {i}\" }}\n"));
        var people = new List<IrcPerson>();
        for (var i = 0; i < clients; i++) people.Add(await IrcPerson.ConnectAsync(server.Port, $"bob{i}", "bob", $"#r{i}"));
        var (node, _) = await IrcTests.StartAsync(IrcTests.Platforms(server.Port, ", flood: { burst: 100, perSecond: 1000 }", rooms),
            yaml => IrcTests.BobByMask(yaml).Replace("rooms:\n", "rooms:\n" + declared, StringComparison.Ordinal));
        for (var i = 0; i < clients; i++)
        {
            var person = people[i];
            var channel = $"#r{i}";
            await person.WaitForAsync(m => m.Command == "JOIN" && m.Nick == "capstan" && m.Param(0) == channel, "Capstan joins " + channel, TimeSpan.FromSeconds(30));
        }
        var bytes = await AdapterBytesAsync(node, ct);
        return new Driver(server, node, people, bytes);
    }

    /// <summary>Managed memory one more connected IRC adapter holds: measured around a second adapter (another nick) on the same node.</summary>
    private static async Task<long> AdapterBytesAsync(ChatNode node, CancellationToken ct)
    {
        var settings = (IrcSettings)node.Node.Config.Current.Find<PlatformsConfig>()!.Platforms.Single();
        settings = settings with { Nick = "capmem" };
        var s = node.Services;
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var adapter = new IrcAdapter(settings, s, IrcTimings.Default);
        var connection = new AdapterConnection(adapter, settings, s.GetRequiredService<IChatStore>(), node.Node.Config, node.Node.Rooms,
            s.GetRequiredService<Conversation>(), node.Node.Redactor, TimeProvider.System, NullLoggerFactory.Instance);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var loop = Task.Run(() => connection.RunAsync(stop.Token), CancellationToken.None);
        await connection.WhenConnected.WaitAsync(TimeSpan.FromSeconds(30), ct);
        var after = GC.GetTotalMemory(forceFullCollection: true);
        await stop.CancelAsync();
        await loop;
        await connection.DisposeAsync();
        GC.KeepAlive(adapter);
        return after - before;
    }

    private sealed class Driver : IPlatformDriver
    {
        private readonly Ngircd _server;
        private readonly ChatNode _node;
        private readonly List<IrcPerson> _people;
        private readonly SemaphoreSlim[] _answers;

        public Driver(Ngircd server, ChatNode node, List<IrcPerson> people, long bytes)
        {
            (_server, _node, _people, AdapterBytes) = (server, node, people, bytes);
            // An answer is counted by its first line ("You are bob …").
            _answers = people.Select(p =>
            {
                var answers = new SemaphoreSlim(0);
                p.Heard = m => { if (m.Command == "PRIVMSG" && m.Param(1).StartsWith("You are", StringComparison.Ordinal)) answers.Release(); };
                return answers;
            }).ToArray();
        }

        public long AdapterBytes { get; }

        public async Task RoundTripAsync(int client, string command, CancellationToken ct)
        {
            var i = client % _people.Count;
            await _people[i].SayAsync($"#r{i}", "!" + command);
            await _answers[i].WaitAsync(ct);
        }

        public Task BaselineAsync(int client, string command, CancellationToken ct) =>
            _node.Services.GetRequiredService<Conversation>().HandleAsync(new IncomingMessage("capstan", "bob", $"r{client % _people.Count}", command, Addressed: true), ct);

        public async ValueTask DisposeAsync()
        {
            foreach (var p in _people) await p.DisposeAsync();
            await _node.DisposeAsync();
            await _server.DisposeAsync();
            foreach (var a in _answers) a.Dispose();
        }
    }
}
