using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Capstan.Chat.Tests.Matrix;

/// <summary>An event Capstan sent: its room, transaction id, the event id the homeserver gave and the content.</summary>
public sealed record SentEvent(string Room, string TxnId, string EventId, JsonObject Content)
{
    public string Body => Content["body"]!.GetValue<string>();
}

/// <summary>
/// A Matrix homeserver on 127.0.0.1 speaking the parts of the client-server API Capstan uses (v3 whoami, filter,
/// directory, join/leave, sync with since/timeout/filter, send with transaction ids, createRoom, account data), with the
/// homeserver's behaviour where it matters: a transaction id sent again returns the first event id, Capstan's own events
/// come back in its sync, invitations stay until answered. Tests add what people say and switch on faults.
/// </summary>
public sealed class LocalHomeserver : IAsyncDisposable
{
    public const string Token = "syt_capstan_test_token_0123456789";
    public const string Bot = "@capstan:example.org";
    public const string Ops = "!ops:example.org";
    public const string OpsAlias = "#ops:example.org";

    private readonly WebApplication _app;
    private readonly Lock _gate = new();
    private readonly List<(string Room, JsonObject Event)> _stream = [];
    private readonly HashSet<string> _joined = [];
    private readonly Dictionary<string, (string Inviter, bool Direct)> _invites = [];
    private readonly Dictionary<string, string> _txns = [];
    private TaskCompletionSource _news = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _events;

    public ConcurrentQueue<SentEvent> Sent { get; } = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<SentEvent>> _awaited = new();

    /// <summary>Completes when Capstan posts in the thread of <paramref name="eventId"/> (call before the event is said).</summary>
    public Task<SentEvent> ReplyTo(string eventId) =>
        _awaited.GetOrAdd(eventId, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
    public ConcurrentQueue<string> Calls { get; } = new();
    public ConcurrentQueue<string> Left { get; } = new();
    public ConcurrentQueue<JsonObject> CreatedRooms { get; } = new();
    public ConcurrentDictionary<string, JsonObject> AccountData { get; } = new();
    public int SendAttempts;

    /// <summary>While false, every call is refused with 401 M_UNKNOWN_TOKEN (an expired or logged-out token).</summary>
    public volatile bool TokenValid = true;
    /// <summary>The next sends refused with 429 M_LIMIT_EXCEEDED.</summary>
    public int RateLimitedSends;
    /// <summary>The next send is stored, then its connection is dropped before the answer.</summary>
    public volatile bool DropAfterNextSend;
    /// <summary>The next sync that has news drops its connection instead of answering.</summary>
    public volatile bool DropNextSync;

    public Uri Address { get; }

    private LocalHomeserver(WebApplication app)
    {
        _app = app;
        app.Run(HandleAsync);
        app.StartAsync().GetAwaiter().GetResult();
        Address = new Uri(app.Urls.First());
    }

    public static LocalHomeserver Start()
    {
        Environment.SetEnvironmentVariable("CAPSTAN_SECRET_MX_TEST", Token);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        return new LocalHomeserver(builder.Build());
    }

    public string Yaml(string rooms = "{ ops: \"" + OpsAlias + "\" }") =>
        $"platforms:\n  matrix: {{ homeserver: \"{Address}\", user: \"{Bot}\", token: {{ secret: mx_test }}, rooms: {rooms} }}";

    /// <summary>Someone says <paramref name="body"/> in a room; returns the event id.</summary>
    public string Say(string room, string sender, string body, string? thread = null, string msgtype = "m.text", string? eventId = null)
    {
        var content = new JsonObject { ["msgtype"] = msgtype, ["body"] = body };
        if (thread is not null) content["m.relates_to"] = new JsonObject { ["rel_type"] = "m.thread", ["event_id"] = thread };
        return Add(room, sender, content, eventId);
    }

    /// <summary>Delivers an event that was delivered before again, in a later batch (a homeserver repeating itself).</summary>
    public void Repeat(string eventId)
    {
        lock (_gate) _stream.Add(_stream.First(s => s.Event["event_id"]!.GetValue<string>() == eventId) with { });
        Wake();
    }

    public void Invite(string room, string inviter, bool direct = false)
    {
        lock (_gate) _invites[room] = (inviter, direct);
        Wake();
    }

    public bool Joined(string room) { lock (_gate) return _joined.Contains(room); }

    private string Add(string room, string sender, JsonObject content, string? eventId = null)
    {
        var id = eventId ?? $"$e{Interlocked.Increment(ref _events)}";
        lock (_gate) _stream.Add((room, new JsonObject
        {
            ["type"] = "m.room.message",
            ["event_id"] = id,
            ["sender"] = sender,
            ["origin_server_ts"] = 1_700_000_000_000 + _events,
            ["content"] = content,
        }));
        Wake();
        return id;
    }

    private void Wake()
    {
        TaskCompletionSource news;
        lock (_gate) { news = _news; _news = new(TaskCreationOptions.RunContinuationsAsynchronously); }
        news.TrySetResult();
    }

    private async Task HandleAsync(HttpContext http)
    {
        var path = http.Request.Path.Value ?? "";
        const string prefix = "/_matrix/client/v3/";
        Calls.Enqueue(http.Request.Method + " " + path + http.Request.QueryString);
        if (!path.StartsWith(prefix, StringComparison.Ordinal)) { await Error(http, 404, "M_UNRECOGNIZED", "unknown endpoint"); return; }
        if (!TokenValid || http.Request.Headers.Authorization.ToString() != "Bearer " + Token)
        {
            await Error(http, 401, "M_UNKNOWN_TOKEN", "Invalid access token passed.");
            return;
        }
        var s = path[prefix.Length..].Split('/').Select(Uri.UnescapeDataString).ToArray();
        var body = http.Request.ContentLength > 0 || http.Request.Method is "PUT" or "POST" ? await JsonNode.ParseAsync(http.Request.Body) as JsonObject ?? [] : [];
        switch (http.Request.Method, s)
        {
            case ("GET", ["account", "whoami"]): await Json(http, new JsonObject { ["user_id"] = Bot }); break;
            case ("POST", ["user", _, "filter"]): await Json(http, new JsonObject { ["filter_id"] = "f1" }); break;
            case ("GET", ["directory", "room", var alias]):
                if (alias == OpsAlias) await Json(http, new JsonObject { ["room_id"] = Ops });
                else await Error(http, 404, "M_NOT_FOUND", "Room alias not found");
                break;
            case ("POST", ["join", var room]): Join(room); await Json(http, new JsonObject { ["room_id"] = room }); break;
            case ("POST", ["rooms", var room, "join"]): Join(room); await Json(http, new JsonObject { ["room_id"] = room }); break;
            case ("POST", ["rooms", var room, "leave"]):
                lock (_gate) { _invites.Remove(room); _joined.Remove(room); }
                Left.Enqueue(room);
                await Json(http, []);
                break;
            case ("PUT", ["rooms", var room, "send", "m.room.message", var txn]): await SendAsync(http, room, txn, body); break;
            case ("POST", ["createRoom"]):
                CreatedRooms.Enqueue(body);
                var made = $"!dm{CreatedRooms.Count}:example.org";
                Join(made);
                await Json(http, new JsonObject { ["room_id"] = made });
                break;
            case ("PUT", ["user", _, "account_data", var type]): AccountData[type] = body; await Json(http, []); break;
            case ("GET", ["sync"]): await SyncAsync(http); break;
            default: await Error(http, 404, "M_UNRECOGNIZED", "unknown endpoint"); break;
        }
    }

    private void Join(string room)
    {
        lock (_gate) { _joined.Add(room); _invites.Remove(room); }
    }

    private async Task SendAsync(HttpContext http, string room, string txn, JsonObject content)
    {
        Interlocked.Increment(ref SendAttempts);
        if (Interlocked.Decrement(ref RateLimitedSends) >= 0)
        {
            http.Response.StatusCode = 429;
            await http.Response.WriteAsync(new JsonObject { ["errcode"] = "M_LIMIT_EXCEEDED", ["error"] = "Too Many Requests", ["retry_after_ms"] = 30 }.ToJsonString());
            return;
        }
        string id;
        bool fresh;
        lock (_gate)
        {
            fresh = !_txns.TryGetValue(txn, out var known);
            id = known ?? $"$e{Interlocked.Increment(ref _events)}";
            _txns[txn] = id;
        }
        if (fresh)
        {
            Add(room, Bot, content, id);
            var sent = new SentEvent(room, txn, id, content);
            Sent.Enqueue(sent);
            if (content["m.relates_to"]?["event_id"]?.GetValue<string>() is { } root && _awaited.TryRemove(root, out var waiting)) waiting.TrySetResult(sent);
        }
        if (DropAfterNextSend) { DropAfterNextSend = false; http.Abort(); return; }
        await Json(http, new JsonObject { ["event_id"] = id });
    }

    private async Task SyncAsync(HttpContext http)
    {
        var since = http.Request.Query["since"].ToString();
        var from = since.StartsWith('s') ? int.Parse(since[1..], System.Globalization.CultureInfo.InvariantCulture) : 0;
        var timeout = int.TryParse(http.Request.Query["timeout"], out var t) ? t : 0;
        var deadline = DateTime.UtcNow.AddMilliseconds(timeout);
        JsonObject answer;
        while (true)
        {
            Task news;
            lock (_gate)
            {
                news = _news.Task;
                answer = Batch(from, out var any);
                if (any || DateTime.UtcNow >= deadline || string.IsNullOrEmpty(since))
                {
                    if (any && DropNextSync && !string.IsNullOrEmpty(since)) { DropNextSync = false; http.Abort(); return; }
                    break;
                }
            }
            var left = deadline - DateTime.UtcNow;
            if (left > TimeSpan.Zero) await Task.WhenAny(news, Task.Delay(left, http.RequestAborted));
            if (http.RequestAborted.IsCancellationRequested) return;
        }
        await Json(http, answer);
    }

    private JsonObject Batch(int from, out bool any)
    {
        var join = new JsonObject();
        foreach (var (room, e) in _stream.Skip(from).Where(s => _joined.Contains(s.Room)))
        {
            if (join[room] is not JsonObject r) join[room] = r = new JsonObject { ["timeline"] = new JsonObject { ["events"] = new JsonArray(), ["limited"] = false } };
            ((JsonArray)r["timeline"]!["events"]!).Add(e.DeepClone());
        }
        var invite = new JsonObject();
        foreach (var (room, (inviter, direct)) in _invites)
            invite[room] = new JsonObject
            {
                ["invite_state"] = new JsonObject
                {
                    ["events"] = new JsonArray(new JsonObject
                    {
                        ["type"] = "m.room.member",
                        ["state_key"] = Bot,
                        ["sender"] = inviter,
                        ["content"] = new JsonObject { ["membership"] = "invite", ["is_direct"] = direct },
                    }),
                },
            };
        any = join.Count > 0 || invite.Count > 0;
        return new JsonObject { ["next_batch"] = "s" + _stream.Count, ["rooms"] = new JsonObject { ["join"] = join, ["invite"] = invite } };
    }

    private static async Task Json(HttpContext http, JsonObject body)
    {
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(body.ToJsonString());
    }

    private static async Task Error(HttpContext http, int status, string code, string message)
    {
        http.Response.StatusCode = status;
        await Json(http, new JsonObject { ["errcode"] = code, ["error"] = message });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
