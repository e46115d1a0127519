using Capstan.Core;
using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Conversation;
using Microsoft.Extensions.DependencyInjection;

namespace Capstan.Core.Tests;

/// <summary>A real data folder (SQLite ledger, bare Git config repo) in a temp directory, with the core commands.</summary>
public sealed class TestNode : IAsyncDisposable
{
    public string Root { get; }
    public CapstanNode Node { get; }
    public ServiceProvider Services { get; }
    public Conversation.Conversation Conversation { get; }

    private TestNode(string root, CapstanNode node, ServiceProvider services)
    {
        Root = root;
        Node = node;
        Services = services;
        Conversation = services.GetRequiredService<Conversation.Conversation>();
    }

    public static async Task<TestNode> StartAsync(string? root = null, TimeProvider? clock = null)
    {
        root ??= Path.Combine(Path.GetTempPath(), "capstan-test-" + Guid.NewGuid().ToString("N")[..10]);
        var node = await CapstanNode.OpenAsync(DataFolder.At(root), [], clock ?? TimeProvider.System, CancellationToken.None);
        new CoreCommands().Register(node.Registry);
        var services = node.AddTo(new ServiceCollection()).BuildServiceProvider();
        return new TestNode(root, node, services);
    }

    public Task<ConversationResult> SayAsync(string person, string text, string room = "ops", string? thread = null, bool addressed = true) =>
        Conversation.HandleAsync(new IncomingMessage("capstan", person, room, text, thread, addressed), CancellationToken.None);

    public Task<ConversationResult> SayOnAsync(string platform, string handle, string text, string room = "ops") =>
        Conversation.HandleAsync(new IncomingMessage(platform, handle, room, text, null, true), CancellationToken.None);

    /// <summary>Commits a new capstan.yaml as a person would with git push, and waits until the server has looked at it.</summary>
    public async Task PushConfigAsync(Func<string, string> edit)
    {
        await Node.ConfigRepo.CommitAsync(new ConfigChange("edit capstan.yaml", new CommitAuthor("Alice Admin", "alice@example.com"),
            files => new Dictionary<string, string?> { [ConfigLoader.MainFile] = edit(files[ConfigLoader.MainFile]) }), CancellationToken.None);
        await Node.Reloader.RefreshAsync(CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        await Node.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(Root, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
