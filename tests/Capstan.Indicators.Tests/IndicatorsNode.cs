using System.Collections.Concurrent;
using System.Text.Json;
using Capstan.Core;
using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Conversation;
using Capstan.Core.Ledger;
using Capstan.Core.Modules;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Capstan.Indicators.Tests;

/// <summary>A real Capstan node with the indicators module in a temp folder (SQLite ledger, bare Git config repo) on a manual clock.</summary>
public sealed class IndicatorsNode : IAsyncDisposable
{
    public string Root { get; }
    public CapstanNode Node { get; }
    public ServiceProvider Services { get; }
    public FakeTimeProvider Clock { get; }
    public ConcurrentQueue<RoomEvent> Events { get; } = new();
    private readonly IDisposable _listening;

    private IndicatorsNode(string root, CapstanNode node, ServiceProvider services, FakeTimeProvider clock)
    {
        Root = root;
        Node = node;
        Services = services;
        Clock = clock;
        _listening = node.Feed.Listen(e => { Events.Enqueue(e); return ValueTask.CompletedTask; });
    }

    public static async Task<IndicatorsNode> StartAsync(DateTimeOffset now)
    {
        var root = Path.Combine(Path.GetTempPath(), "capstan-indicators-" + Guid.NewGuid().ToString("N")[..10]);
        var clock = new FakeTimeProvider(now);
        var node = await CapstanNode.OpenAsync(DataFolder.At(root), [IndicatorsModule.Section, new ReposStandIn()], clock, CancellationToken.None);
        new CoreCommands().Register(node.Registry);
        node.Registry.Register(new IndicatorsModule());
        var services = node.AddTo(new ServiceCollection())
            .AddIndicators(new IndicatorsOptions { SourceRefresh = TimeSpan.Zero, SourceTimeout = TimeSpan.FromSeconds(30) }).BuildServiceProvider();
        return new IndicatorsNode(root, node, services, clock);
    }

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    public Task<ConversationResult> SayAsync(string person, string text, string room = "ops") =>
        Services.GetRequiredService<Conversation>().HandleAsync(new IncomingMessage("capstan", person, room, text, null, true), CancellationToken.None);

    /// <summary>Commits files as a person would with git push, and returns the config errors if it was refused.</summary>
    public async Task<RejectedConfig?> PushAsync(IReadOnlyDictionary<string, string?> files)
    {
        await Node.ConfigRepo.CommitAsync(new ConfigChange("test change", new CommitAuthor("Alice Admin", "alice@example.com"), _ => files), CancellationToken.None);
        await Node.Reloader.RefreshAsync(CancellationToken.None);
        return Node.Config.Rejected;
    }

    /// <summary>Adds lines to capstan.yaml (top-level keys) and pushes.</summary>
    public Task<RejectedConfig?> AppendConfigAsync(string yaml, IReadOnlyDictionary<string, string?>? more = null)
    {
        var main = Node.Config.Current.Files[ConfigLoader.MainFile];
        var files = new Dictionary<string, string?> { [ConfigLoader.MainFile] = main.TrimEnd() + "\n" + yaml.Trim('\n') + "\n" };
        if (more is not null) foreach (var (k, v) in more) files[k] = v;
        return PushAsync(files);
    }

    /// <summary>Writes ledger entries with set timestamps, as the delivery and incident modules would have.</summary>
    public Task WriteAsync(params (DateTimeOffset At, string Kind, object Data)[] entries) =>
        Node.Ledger.Store.AppendAsync(entries.Select(e => new UnsealedEntry(e.At, e.Kind, "capstan", "ops", null, JsonSerializer.Serialize(e.Data, Ledger.Json))).ToList(), CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        _listening.Dispose();
        await Services.DisposeAsync();
        await Node.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(Root, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
