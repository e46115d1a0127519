using System.Collections.Concurrent;
using System.Text.Json;
using Capstan.Core;
using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Conversation;
using Capstan.Core.Ledger;
using Capstan.Core.Modules;
using Capstan.Incidents.Desk;
using Capstan.Incidents.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Capstan.Incidents.Tests;

/// <summary>
/// A real Capstan node with the incidents module in a temp folder: SQLite ledger, bare Git config repo, the
/// background pass off unless <c>options</c> turn it on, and a manual clock the test moves (passes are run by hand with <see cref="TickAsync"/>).
/// </summary>
public sealed class IncidentNode : IAsyncDisposable
{
    /// <summary>Tuesday 1 December 2026, 10:00 UTC.</summary>
    public static readonly DateTimeOffset Start = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    public string Root { get; }
    public FakeTimeProvider Clock { get; }
    public CapstanNode Node { get; }
    public ServiceProvider Services { get; }
    public ConcurrentQueue<RoomEvent> Events { get; } = new();
    private readonly IDisposable _listening;
    private readonly List<IHostedService> _hosted;

    private IncidentNode(string root, FakeTimeProvider clock, CapstanNode node, ServiceProvider services)
    {
        Root = root;
        Clock = clock;
        Node = node;
        Services = services;
        _listening = node.Feed.Listen(e => { Events.Enqueue(e); return ValueTask.CompletedTask; });
        _hosted = services.GetServices<IHostedService>().ToList();
    }

    /// <summary>Opens a node; with <paramref name="yaml"/>, capstan.yaml's incidents/oncall/notifications are replaced by it first.</summary>
    public static async Task<IncidentNode> StartAsync(string? yaml = null, string? root = null, FakeTimeProvider? clock = null,
        IncidentsOptions? options = null, Action<IServiceCollection>? replace = null)
    {
        root ??= Path.Combine(Path.GetTempPath(), "capstan-incidents-" + Guid.NewGuid().ToString("N")[..10]);
        clock ??= new FakeTimeProvider(Start);
        var node = await CapstanNode.OpenAsync(DataFolder.At(root), [IncidentsModule.Section], clock, CancellationToken.None);
        new CoreCommands().Register(node.Registry);
        node.Registry.Register(new IncidentsModule());
        var collection = node.AddTo(new ServiceCollection()).AddIncidents(options ?? new IncidentsOptions { Background = false });
        replace?.Invoke(collection);
        var services = collection.BuildServiceProvider();
        var t = new IncidentNode(root, clock, node, services);
        if (yaml is not null)
        {
            var problem = await t.ConfigureAsync(yaml);
            Assert.True(problem is null, "the test configuration was refused: " + string.Join("; ", problem?.Errors.Select(e => e.ToString()) ?? []));
        }
        foreach (var h in t._hosted) await h.StartAsync(CancellationToken.None);
        return t;
    }

    /// <summary>Replaces everything after the environments: block of the seeded capstan.yaml with <paramref name="yaml"/>.</summary>
    public async Task<RejectedConfig?> ConfigureAsync(string yaml)
    {
        var head = Node.ConfigRepo.HeadSha()!;
        var text = Node.ConfigRepo.ReadFiles(head)["capstan.yaml"];
        var cut = text.IndexOf("\n# Incidents:", StringComparison.Ordinal);
        if (cut < 0) cut = text.IndexOf("\nincidents:", StringComparison.Ordinal);
        var main = (cut < 0 ? text : text[..cut]).TrimEnd() + "\n\n" + yaml.Trim() + "\n";
        return await PushAsync("capstan.yaml", main);
    }

    public async Task<RejectedConfig?> PushAsync(string path, string content)
    {
        await Node.ConfigRepo.CommitAsync(new ConfigChange("test change", new CommitAuthor("Alice Admin", "alice@example.com"), _ => new Dictionary<string, string?> { [path] = content }), CancellationToken.None);
        await Node.Reloader.RefreshAsync(CancellationToken.None);
        return Node.Config.Rejected;
    }

    public Task<ConversationResult> SayAsync(string person, string text, string room = "ops") =>
        Services.GetRequiredService<Conversation>().HandleAsync(new IncidentMessage(person, room, text).Incoming, CancellationToken.None);

    /// <summary>Says something and expects it to succeed; returns the first reply's text.</summary>
    public async Task<string> RunAsync(string person, string text, string room = "ops")
    {
        var r = await SayAsync(person, text, room);
        Assert.True(r.Outcome == CommandOutcome.Succeeded, $"`{text}` ended {r.Outcome}: {string.Join(" / ", r.Replies.Select(x => x.Text))}");
        return string.Join("\n", r.Replies.Select(x => x.Message()));
    }

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    public IncidentDesk Desk => Get<IncidentDesk>();
    public IIncidentStore Store => Get<IIncidentStore>();

    /// <summary>Runs one background pass (routes, escalation, reminders, the notification queue) at the clock's time.</summary>
    public Task<int> TickAsync() => Get<IncidentWatch>().TickAsync(CancellationToken.None);

    /// <summary>Capstan's messages posted in a room so far, oldest first.</summary>
    public IReadOnlyList<string> Posted(string room) =>
        Events.Where(e => e.Type == RoomEvent.Posted && e.Message.Room == room && e.Message.AuthorKind == AuthorKind.Capstan).Select(e => e.Message.Text).ToList();

    /// <summary>Direct messages Capstan sent a person so far.</summary>
    public IReadOnlyList<string> DirectMessages(string person) => Posted(Notify.Notifier.DirectRoom(person));

    /// <summary>Ledger entries of a kind, oldest first, with their data parsed.</summary>
    public async Task<IReadOnlyList<(LedgerEntry Entry, JsonElement Data)>> LedgerAsync(string kind)
    {
        await Task.Yield();
        var list = await Node.Ledger.QueryAsync(new LedgerQuery(Kind: kind, Limit: 10_000), CancellationToken.None);
        return list.Select(e => (e, JsonDocument.Parse(e.Data).RootElement.Clone())).ToList();
    }

    private bool _closed;

    /// <summary>Stops and closes the node but keeps its data folder, so a new node can open it (a restart).</summary>
    public async Task CloseAsync()
    {
        if (_closed) return;
        _closed = true;
        foreach (var h in Enumerable.Reverse(_hosted)) await h.StopAsync(CancellationToken.None);
        _listening.Dispose();
        await Services.DisposeAsync();
        await Node.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync();
        try { Directory.Delete(Root, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>A message a person types in Capstan's own chat.</summary>
public sealed record IncidentMessage(string Person, string Room, string Text)
{
    public IncomingMessage Incoming => new("capstan", Person, Room, Text, null, false);
}

internal static class RoomMessageText
{
    public static string Message(this RoomMessage m) => m.Table is null ? m.Text : m.Text + "\n" + m.Table.ToText();
}
