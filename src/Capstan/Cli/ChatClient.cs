using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Capstan.Core;
using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Conversation;
using Capstan.Core.Ledger;
using Capstan.Core.Logging;
using Capstan.Core.Modules;
using Capstan.Logging;
using Capstan.Web.Api;
using Microsoft.Extensions.DependencyInjection;

namespace Capstan.Cli;

/// <summary>What the terminal shows for one sent message: the outcome and Capstan's replies.</summary>
public sealed record SayResult(CommandOutcome Outcome, IReadOnlyList<MessageView> Replies, string? Error = null, string? MessageId = null, bool Following = false)
{
    /// <summary>0 success, 1 refused or failed, 2 not understood.</summary>
    public int ExitCode => Error is not null ? 1 : Outcome switch
    {
        CommandOutcome.Succeeded or CommandOutcome.NotACommand => 0,
        CommandOutcome.Invalid => 2,
        _ => 1,
    };
}

/// <summary>A way for the terminal to talk to Capstan: over HTTP to a server, or in-process on a data folder.</summary>
public interface IChatClient : IAsyncDisposable
{
    string Describe { get; }
    Task<SayResult> SendAsync(string room, string text, string? thread, CancellationToken ct, bool addressed = true);
    Task<IReadOnlyList<MessageView>> RecentAsync(string room, int limit, CancellationToken ct);

    /// <summary>Calls back for every message posted or edited in any room until cancelled; <paramref name="ready"/> completes once listening.</summary>
    Task ListenAsync(Func<string, MessageView, Task> onEvent, CancellationToken ct, TaskCompletionSource? ready = null);

    /// <summary>Whether work that follows a reply (a deploy's progress) can be watched from here.</summary>
    bool CanFollow { get; }
}

/// <summary>Talks to a running Capstan over its HTTP API.</summary>
public sealed class HttpChatClient : IChatClient
{
    private readonly HttpClient _http;

    public HttpChatClient(string server, string token, string? actAs)
    {
        _http = new HttpClient { BaseAddress = new Uri(server.TrimEnd('/') + "/"), Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (actAs is not null) _http.DefaultRequestHeaders.Add(Caller.ActAsHeader, actAs);
        Describe = server;
    }

    public string Describe { get; }

    public async Task<SayResult> SendAsync(string room, string text, string? thread, CancellationToken ct, bool addressed = true)
    {
        using var res = await _http.PostAsJsonAsync($"api/rooms/{Uri.EscapeDataString(room)}/messages", new PostMessage(text, thread, addressed), Ledger.Json, ct);
        if (await AnswerAsync(res, ct) is not { } body) return new SayResult(CommandOutcome.Refused, [], Unreadable(res));
        if (body.TryGetProperty("error", out var err)) return new SayResult(CommandOutcome.Refused, [], err.GetString());
        var outcome = Enum.Parse<CommandOutcome>(body.GetProperty("outcome").GetString()!);
        var replies = body.GetProperty("replies").Deserialize<List<MessageView>>(Ledger.Json) ?? [];
        return new SayResult(outcome, replies, null, body.TryGetProperty("messageId", out var id) ? id.GetString() : null,
            body.TryGetProperty("following", out var f) && f.ValueKind == JsonValueKind.True);
    }

    public async Task<IReadOnlyList<MessageView>> RecentAsync(string room, int limit, CancellationToken ct)
    {
        using var res = await _http.GetAsync($"api/rooms/{Uri.EscapeDataString(room)}/messages?limit={limit}", ct);
        if (!res.IsSuccessStatusCode)
        {
            var body = await AnswerAsync(res, ct);
            throw new InvalidOperationException(body is { } b && b.TryGetProperty("error", out var e) ? e.GetString() : Unreadable(res));
        }
        return await res.Content.ReadFromJsonAsync<List<MessageView>>(Ledger.Json, ct) ?? [];
    }

    /// <summary>The answer's JSON object, or null when the server (or something in front of it) sent anything else.</summary>
    private static async Task<JsonElement?> AnswerAsync(HttpResponseMessage res, CancellationToken ct)
    {
        var text = await res.Content.ReadAsStringAsync(ct);
        try { return JsonSerializer.Deserialize<JsonElement>(text, Ledger.Json) is { ValueKind: JsonValueKind.Object } o ? o : null; }
        catch (JsonException) { return null; }
    }

    private string Unreadable(HttpResponseMessage res) =>
        $"{Describe} answered {(int)res.StatusCode} {res.ReasonPhrase} to {res.RequestMessage?.Method} {res.RequestMessage?.RequestUri?.AbsolutePath}, not a Capstan answer. Check the --server URL (and any proxy in front of it).";

    public bool CanFollow => true;

    public async Task ListenAsync(Func<string, MessageView, Task> onEvent, CancellationToken ct, TaskCompletionSource? ready = null)
    {
        using var res = await _http.GetAsync("api/events", HttpCompletionOption.ResponseHeadersRead, ct);
        res.EnsureSuccessStatusCode();
        ready?.TrySetResult();
        using var reader = new StreamReader(await res.Content.ReadAsStreamAsync(ct));
        string? type = null;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal)) type = line[7..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal) && type is not null)
            {
                var e = JsonSerializer.Deserialize<JsonElement>(line[6..], Ledger.Json);
                await onEvent(type, e.GetProperty("message").Deserialize<MessageView>(Ledger.Json)!);
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>Opens the data folder in this process (no server running) and talks to it directly.</summary>
public sealed class InProcessChatClient : IChatClient
{
    private readonly CapstanNode _node;
    private readonly ServiceProvider _services;
    private readonly DataLock _lock;
    private readonly string _person;
    private readonly Conversation _conversation;
    private readonly CapstanLog _log;

    private InProcessChatClient(CapstanNode node, ServiceProvider services, DataLock dataLock, string person, CapstanLog log)
    {
        _log = log;
        _node = node;
        _services = services;
        _lock = dataLock;
        _person = person;
        _conversation = services.GetRequiredService<Conversation>();
    }

    public static async Task<InProcessChatClient> OpenAsync(DataFolder data, DataLock dataLock, string person, CancellationToken ct)
    {
        // Errors of the work done in this process go to the data folder's log file (not the terminal, which shows the replies).
        var log = CapstanLog.Open(data, new LogLevels(), console: false);
        var node = await Composition.OpenAsync(data, ct, log.Factory);
        log.RedactWith(node.Redactor);
        log.Levels.Follow(node.Config);
        if (node.Config.Rejected is { } newest) Terminal.Error(LastGoodConfig.Notice(newest, node.Config.Current));
        var services = new ServiceCollection();
        services.AddLogging(log.Configure);
        node.AddTo(services);
        Composition.Modules.AddServices(services, ProcessRole.CommandLine);
        var provider = services.BuildServiceProvider();
        await Composition.Modules.PrepareAsync(provider, ct);
        return new InProcessChatClient(node, provider, dataLock, person, log);
    }

    public string Describe => $"{_node.Data.Root} (in this process; no server is running)";

    public async Task<SayResult> SendAsync(string room, string text, string? thread, CancellationToken ct, bool addressed = true)
    {
        await _node.Reloader.RefreshAsync(ct);
        var r = await _conversation.HandleAsync(new IncomingMessage(Core.Policy.AccessPolicy.CapstanPlatform, _person, room, text, thread, addressed, "local admin"), ct);
        return new SayResult(r.Outcome, r.Replies.Select(MessageView.From).ToList(), null, r.MessageId, r.Following);
    }

    public Task<IReadOnlyList<MessageView>> RecentAsync(string room, int limit, CancellationToken ct) =>
        MessageView.RecentAsync(_node.Ledger, room, limit, ct);

    /// <summary>Nothing applies changes while no server runs, so there is nothing to follow.</summary>
    public bool CanFollow => false;

    public async Task ListenAsync(Func<string, MessageView, Task> onEvent, CancellationToken ct, TaskCompletionSource? ready = null)
    {
        using var sub = _node.Feed.Listen(e => new ValueTask(onEvent(e.Type, MessageView.From(e.Message))));
        ready?.TrySetResult();
        await Task.Delay(Timeout.Infinite, ct).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await _node.DisposeAsync();
        _log.Dispose();
        _lock.Dispose();
    }
}

/// <summary>Chooses how to reach Capstan from --server/--token or --data.</summary>
public static class ChatClients
{
    public static async Task<IChatClient> ConnectAsync(string? server, string? token, DataFolder data, string? actAs, CancellationToken ct)
    {
        if (server is not null)
        {
            if (!Uri.TryCreate(server, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
                throw new UsageException($"--server needs the server's http:// or https:// address, for example --server http://127.0.0.1:8080 (got '{server}').");
            if (token is null) throw new UsageException("--server needs --token TOKEN (create one in the web UI or with `capstan token create`).");
            return new HttpChatClient(server, token, actAs);
        }
        if (actAs is null) throw new UsageException("--as PERSON is required with --data (say who is speaking, e.g. --as bob).");
        if (ServerRecord.Read(data) is { } running && File.Exists(data.AdminTokenFile))
            return new HttpChatClient(running.Url, (await File.ReadAllTextAsync(data.AdminTokenFile, ct)).Trim(), actAs);
        if (!data.Exists) throw new UsageException($"{data.Root} is not a Capstan data folder yet; run `capstan up --data {data.Root}` first.");
        var dataLock = DataLock.TryAcquire(data) ?? throw new CommandFailedException($"Another capstan process is using {data.Root} but has not published its address yet; try again in a moment.");
        return await InProcessChatClient.OpenAsync(data, dataLock, actAs, ct);
    }
}

/// <summary>The command line was used wrongly; exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>The command was refused or failed; exit code 1.</summary>
public sealed class CommandFailedException(string message) : Exception(message);
