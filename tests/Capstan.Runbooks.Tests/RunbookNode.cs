using System.Collections.Concurrent;
using Capstan.Core;
using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Conversation;
using Capstan.Core.Jobs;
using Capstan.Core.Modules;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Capstan.Runbooks.Tests;

/// <summary>A real Capstan node with the runbooks module in a temp folder: SQLite ledger, bare Git config repo, jobs.</summary>
public sealed class RunbookNode : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public string Root { get; }
    public CapstanNode Node { get; }
    public ServiceProvider Services { get; }
    public ConcurrentQueue<RoomEvent> Events { get; } = new();
    private readonly IDisposable _listening;
    private readonly List<IHostedService> _hosted;

    private RunbookNode(string root, CapstanNode node, ServiceProvider services)
    {
        Root = root;
        Node = node;
        Services = services;
        _listening = node.Feed.Listen(e => { Events.Enqueue(e); return ValueTask.CompletedTask; });
        _hosted = services.GetServices<IHostedService>().ToList();
    }

    /// <summary>The seeded capstan.yaml without its demo <c>products:</c> block, for tests that declare their own.</summary>
    public string MainWithoutProducts()
    {
        var lines = Node.Config.Current.Files["capstan.yaml"].Split('\n');
        var start = Array.FindIndex(lines, l => l.StartsWith("products:", StringComparison.Ordinal));
        if (start < 0) return string.Join('\n', lines);
        var end = Array.FindIndex(lines, start + 1, l => l.Length > 0 && !char.IsWhiteSpace(l[0]) && !l.StartsWith('#'));
        return string.Join('\n', lines[..start].Concat(end < 0 ? [] : lines[end..]));
    }

    public static async Task<RunbookNode> StartAsync(string? root = null, RunbooksOptions? options = null)
    {
        root ??= Path.Combine(Path.GetTempPath(), "capstan-runbooks-" + Guid.NewGuid().ToString("N")[..10]);
        var node = await CapstanNode.OpenAsync(DataFolder.At(root), [RunbooksModule.Section], TimeProvider.System, CancellationToken.None);
        new CoreCommands().Register(node.Registry);
        node.Registry.Register(new RunbooksModule());
        node.Jobs.ProgressInterval = TimeSpan.FromMilliseconds(50);
        var services = node.AddTo(new ServiceCollection()).AddRunbooks(options).BuildServiceProvider();
        var t = new RunbookNode(root, node, services);
        foreach (var h in t._hosted) await h.StartAsync(CancellationToken.None);
        return t;
    }

    public Task<ConversationResult> SayAsync(string person, string text, string room = "ops") =>
        Services.GetRequiredService<Conversation>().HandleAsync(new IncomingMessage("capstan", person, room, text, null, true), CancellationToken.None);

    /// <summary>Commits files (null deletes) as a person would with git push, and returns the config errors if it was refused.</summary>
    public async Task<RejectedConfig?> PushAsync(IReadOnlyDictionary<string, string?> files)
    {
        await Node.ConfigRepo.CommitAsync(new ConfigChange("test change", new CommitAuthor("Alice Admin", "alice@example.com"), _ => files), CancellationToken.None);
        await Node.Reloader.RefreshAsync(CancellationToken.None);
        return Node.Config.Rejected;
    }

    public Task<RejectedConfig?> PushAsync(string path, string content) => PushAsync(new Dictionary<string, string?> { [path] = content });

    /// <summary>Runs a chat command that starts a job and waits for the job to end; returns the job and its final message.</summary>
    public async Task<(JobView Job, RoomMessage Final)> RunJobAsync(string person, string text)
    {
        var r = await SayAsync(person, text);
        Assert.True(r.Following, $"expected a job, got {r.Outcome}: {string.Join(" / ", r.Replies.Select(x => x.Text))}");
        var id = System.Text.RegularExpressions.Regex.Match(r.Replies[0].Text, @"job (j\d+)").Groups[1].Value;
        var record = await Node.Jobs.WaitAsync(id, CancellationToken.None).WaitAsync(Patience);
        var view = (await Node.Jobs.Jobs.GetAsync(id, CancellationToken.None))!;
        var final = Events.Last(e => e.Message.Id == record.ProgressMessage).Message;
        return (view, final);
    }

    private bool _stopped;

    /// <summary>Stops the node's services as a shutdown would (running jobs become interrupted).</summary>
    public async Task StopAsync()
    {
        if (_stopped) return;
        _stopped = true;
        foreach (var h in Enumerable.Reverse(_hosted)) await h.StopAsync(CancellationToken.None);
    }

    private bool _closed;

    /// <summary>Stops and closes the node but keeps its data folder, so a new node can open it (a restart).</summary>
    public async Task CloseAsync()
    {
        if (_closed) return;
        _closed = true;
        await StopAsync();
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
