using Capstan.Chat.Adapters;
using Capstan.Chat.Platforms;
using Capstan.Core;
using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Leadership;
using Capstan.Core.Ledger;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Capstan.Chat.Tests;

/// <summary>
/// A real Capstan node (SQLite ledger, Git config repo) with the chat module and the given platforms, its adapter host
/// running. <see cref="StartAsync"/> commits a capstan.yaml with the platforms block the test gives.
/// </summary>
public sealed class ChatNode : IAsyncDisposable
{
    public string Root { get; }
    public CapstanNode Node { get; }
    public ServiceProvider Services { get; }
    private readonly List<IHostedService> _hosted;

    private ChatNode(string root, CapstanNode node, ServiceProvider services)
    {
        Root = root;
        Node = node;
        Services = services;
        _hosted = services.GetServices<IHostedService>().ToList();
    }

    public static async Task<ChatNode> StartAsync(IReadOnlyList<IChatPlatform> platforms, string platformsYaml, Func<string, string>? people = null,
        ILeadership? leadership = null, string? root = null)
    {
        root ??= Path.Combine(Path.GetTempPath(), "capstan-chat-" + Guid.NewGuid().ToString("N")[..10]);
        var module = new ChatModule(platforms);
        var node = await CapstanNode.OpenAsync(DataFolder.At(root), module.Sections, TimeProvider.System, CancellationToken.None);
        new CoreCommands().Register(node.Registry);
        new ChatCommands().Register(node.Registry);
        var collection = node.AddTo(new ServiceCollection()).AddChat(platforms);
        if (leadership is not null) collection.AddSingleton(leadership);
        var t = new ChatNode(root, node, collection.BuildServiceProvider());
        var problem = await t.ConfigureAsync(platformsYaml, people);
        Assert.True(problem is null, "the test configuration was refused: " + string.Join("; ", problem?.Errors.Select(e => e.ToString()) ?? []));
        foreach (var h in t._hosted) await h.StartAsync(CancellationToken.None);
        return t;
    }

    /// <summary>Commits the seeded capstan.yaml with <paramref name="platformsYaml"/> appended and the people changed by <paramref name="people"/>.</summary>
    public async Task<RejectedConfig?> ConfigureAsync(string platformsYaml, Func<string, string>? people = null)
    {
        var text = Node.ConfigRepo.ReadFiles(Node.ConfigRepo.HeadSha()!)["capstan.yaml"];
        var cut = text.IndexOf("\nplatforms:", StringComparison.Ordinal);
        if (cut >= 0) text = text[..cut];
        text = (people ?? (t => t))(text).TrimEnd() + "\n\n" + platformsYaml.Trim() + "\n";
        await Node.ConfigRepo.CommitAsync(new ConfigChange("test change", new CommitAuthor("Alice Admin", "alice@example.com"), _ => new Dictionary<string, string?> { ["capstan.yaml"] = text }), CancellationToken.None);
        await Node.Reloader.RefreshAsync(CancellationToken.None);
        return Node.Config.Rejected;
    }

    public AdapterHost Host => Services.GetRequiredService<AdapterHost>();

    public async Task<IReadOnlyList<LedgerEntry>> LedgerAsync(string kind) =>
        await Node.Ledger.QueryAsync(new LedgerQuery(Kind: kind, Limit: 10_000), CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        foreach (var h in Enumerable.Reverse(_hosted)) await h.StopAsync(CancellationToken.None);
        await Services.DisposeAsync();
        await Node.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(Root, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Waits for a condition with a deadline instead of a fixed sleep.</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(15));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail("Timed out waiting until " + what);
            await Task.Delay(20);
        }
    }
}
