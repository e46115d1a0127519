using System.Collections.Concurrent;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Capstan.Chat.Tests.Mattermost;

/// <summary>One post on the local server.</summary>
public sealed record LocalPost(string Id, string ChannelId, string UserId, string Message, string RootId, long CreateAt, JsonObject? Props);

/// <summary>
/// A Mattermost server in the test process speaking the parts of API v4 Capstan uses, as documented: bearer tokens (401
/// for any other), <c>/users/me</c>, users by id and name, channels by team/name, direct channels, channel members,
/// <c>POST /posts</c> (with <c>pending_post_id</c> deduplication and the server's <c>MaxPostSize</c>), <c>PUT /posts/{id}/patch</c>,
/// <c>GET /channels/{id}/posts?since=</c>, <c>config/client?format=old</c>, and the WebSocket event stream (a <c>hello</c>,
/// the <c>authentication_challenge</c> answered by <c>seq_reply</c>, pings, <c>posted</c> events whose post is a JSON
/// string). Tests make people post and click, and break things: 429s, dropped sockets, lost answers, a revoked token.
/// </summary>
public sealed class LocalMattermost : IAsyncDisposable
{
    public const string BotToken = "bot-token-0123456789";
    public const string Team = "eng";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, WebSocket> _sockets = new();
    private readonly ConcurrentDictionary<string, string> _pending = new();
    private readonly Lock _gate = new();
    private readonly List<LocalPost> _posts = [];
    private readonly HttpClient _clicks = new();
    private long _lastCreate;
    private int _ids;

    public Dictionary<string, (string Name, bool IsBot)> Users { get; } = new();
    public Dictionary<string, (string Team, string Name)> ChannelNames { get; } = new();
    public Dictionary<string, HashSet<string>> Members { get; } = new();

    public string Url { get; private set; } = "";
    public string BotId { get; }
    public string ValidToken { get; set; } = BotToken;
    public int MaxPostSize { get; set; } = 16_383;

    /// <summary>How many of the next POST /posts are answered 429 with a limit that resets in 2 s (X-RateLimit-Reset, seconds).</summary>
    public int RateLimitNext;

    /// <summary>How many of the next POST /posts are made and then their connection dropped before the answer.</summary>
    public int LoseAnswerNext;

    /// <summary>Sends every posted event twice (a duplicated delivery).</summary>
    public volatile bool Duplicate;

    /// <summary>Requests made before a 429's reset time had passed (a client that does not wait).</summary>
    public int EarlyRetries;

    private DateTimeOffset _limitedUntil;

    /// <summary>Called with every post made (people's and Capstan's), as it is made.</summary>
    public Action<LocalPost>? Created { get; set; }

    public int Authenticated;
    public int RateLimited;
    public int Pings;
    public int OpenSockets => _sockets.Count;

    public LocalMattermost()
    {
        BotId = AddUser("capstan", bot: true);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.UseWebSockets();
        Map();
    }

    public static async Task<LocalMattermost> StartAsync()
    {
        var server = new LocalMattermost();
        await server._app.StartAsync();
        server.Url = server._app.Urls.First();
        return server;
    }

    public string NewId() => "id" + Interlocked.Increment(ref _ids).ToString("D24", CultureInfo.InvariantCulture);

    public string AddUser(string name, bool bot = false)
    {
        var id = NewId();
        lock (_gate) Users[id] = (name, bot);
        return id;
    }

    public string AddChannel(string name, params string[] members)
    {
        var id = NewId();
        lock (_gate)
        {
            ChannelNames[id] = (Team, name);
            Members[id] = [BotId, .. members];
        }
        return id;
    }

    public IReadOnlyList<LocalPost> Posts { get { lock (_gate) return _posts.ToList(); } }

    public IReadOnlyList<LocalPost> BotPosts(string channel) => Posts.Where(p => p.UserId == BotId && p.ChannelId == channel).ToList();

    /// <summary>A person posts (in a thread when <paramref name="root"/> is given); the event goes to every open stream.</summary>
    public string Say(string userId, string channel, string text, string root = "", JsonObject? props = null, bool broadcast = true)
    {
        var post = Create(userId, channel, text, root, props);
        if (broadcast) Broadcast(post);
        return post.Id;
    }

    /// <summary>Drops every open event stream without a close frame (a network failure).</summary>
    public void DropSockets()
    {
        foreach (var (key, socket) in _sockets)
        {
            socket.Abort();
            _sockets.TryRemove(key, out _);
        }
    }

    /// <summary>Clicks a button of a post as <paramref name="userId"/>: like Mattermost, POSTs the action's integration with its context.</summary>
    public async Task<int> ClickAsync(string userId, LocalPost post, int button, JsonObject? context = null)
    {
        var action = post.Props!["attachments"]![0]!["actions"]![button]!;
        var body = new JsonObject
        {
            ["user_id"] = userId,
            ["user_name"] = Users[userId].Name,
            ["channel_id"] = post.ChannelId,
            ["team_id"] = "team1",
            ["post_id"] = post.Id,
            ["trigger_id"] = NewId(),
            ["type"] = "",
            ["context"] = context ?? action["integration"]!["context"]!.DeepClone(),
        };
        using var response = await _clicks.PostAsync(action["integration"]!["url"]!.GetValue<string>(), new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        return (int)response.StatusCode;
    }

    private LocalPost Create(string userId, string channel, string text, string root, JsonObject? props)
    {
        lock (_gate)
        {
            var now = Math.Max(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), _lastCreate + 1);
            _lastCreate = now;
            var post = new LocalPost(NewId(), channel, userId, text, root, now, props);
            _posts.Add(post);
            Created?.Invoke(post);
            return post;
        }
    }

    private static JsonObject Json(LocalPost p) => new()
    {
        ["id"] = p.Id,
        ["create_at"] = p.CreateAt,
        ["update_at"] = p.CreateAt,
        ["delete_at"] = 0,
        ["user_id"] = p.UserId,
        ["channel_id"] = p.ChannelId,
        ["root_id"] = p.RootId,
        ["message"] = p.Message,
        ["type"] = "",
        ["props"] = p.Props?.DeepClone() ?? new JsonObject(),
    };

    private void Broadcast(LocalPost p)
    {
        var direct = ChannelNames.ContainsKey(p.ChannelId) ? "O" : "D";
        var e = new JsonObject
        {
            ["event"] = "posted",
            ["data"] = new JsonObject { ["channel_type"] = direct, ["post"] = Json(p).ToJsonString(), ["sender_name"] = "@" + Users[p.UserId].Name, ["team_id"] = "team1" },
            ["broadcast"] = new JsonObject { ["channel_id"] = p.ChannelId, ["user_id"] = "", ["team_id"] = "" },
            ["seq"] = 0,
        }.ToJsonString();
        foreach (var socket in _sockets.Values)
        {
            Send(socket, e);
            if (Duplicate) Send(socket, e);
        }
    }

    private static void Send(WebSocket socket, string text)
    {
        lock (socket)
        {
            try { socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None).GetAwaiter().GetResult(); }
            catch (WebSocketException) { /* the client went away; the test sees it */ }
            catch (ObjectDisposedException) { /* dropped */ }
        }
    }

    private bool Authorized(HttpContext http) => http.Request.Headers.Authorization.ToString() == "Bearer " + ValidToken;

    private static IResult Error(int status, string id, string message) =>
        Results.Json(new JsonObject { ["id"] = id, ["message"] = message, ["status_code"] = status }, statusCode: status);

    private void Map()
    {
        var api = _app.MapGroup("/api/v4").AddEndpointFilter(async (ctx, next) =>
            ctx.HttpContext.Request.Path.Value!.EndsWith("/websocket", StringComparison.Ordinal) || Authorized(ctx.HttpContext)
                ? await next(ctx)
                : Error(401, "api.context.session_expired.app_error", "Invalid or expired session, please login again."));
        api.MapGet("/users/me", () => User(BotId));
        api.MapGet("/users/{id}", (string id) => User(id));
        api.MapGet("/users/username/{name}", (string name) =>
        {
            lock (_gate) return Users.FirstOrDefault(u => u.Value.Name == name).Key is { } id ? User(id) : Error(404, "app.user.missing_account.const", "Unable to find the user.");
        });
        api.MapGet("/config/client", () => Results.Json(new JsonObject { ["MaxPostSize"] = MaxPostSize.ToString(CultureInfo.InvariantCulture), ["Version"] = "9.11.0" }));
        api.MapGet("/teams/name/{team}/channels/name/{name}", (string team, string name) =>
        {
            lock (_gate)
                return ChannelNames.FirstOrDefault(c => c.Value == (team, name)).Key is { } id
                    ? Results.Json(new JsonObject { ["id"] = id, ["name"] = name, ["type"] = "O" })
                    : Error(404, "app.channel.get_by_name.missing.app_error", "Channel does not exist.");
        });
        api.MapGet("/channels/{id}/members/{user}", (string id, string user) =>
        {
            lock (_gate)
                return Members.TryGetValue(Resolve(id), out var m) && m.Contains(user)
                    ? Results.Json(new JsonObject { ["channel_id"] = id, ["user_id"] = user })
                    : Error(404, "app.channel.get_member.missing.app_error", "No channel member found for that user ID and channel ID.");
        });
        api.MapPost("/channels/direct", async (HttpContext http) =>
        {
            var ids = (await JsonNode.ParseAsync(http.Request.Body))!.AsArray().Select(n => n!.GetValue<string>()).Order().ToList();
            var key = string.Join("__", ids);
            lock (_gate)
            {
                if (ids.Any(i => !Users.ContainsKey(i))) return Error(400, "api.context.invalid_body_param.app_error", "Invalid user_ids.");
                if (!Members.ContainsKey(key)) Members[key] = [.. ids];
                return Results.Json(new JsonObject { ["id"] = DirectId(key), ["type"] = "D", ["name"] = key });
            }
        });
        api.MapPost("/posts", async (HttpContext http) =>
        {
            var early = DateTimeOffset.UtcNow < _limitedUntil;
            if (early) Interlocked.Increment(ref EarlyRetries);
            if (early || (RateLimitNext > 0 && Interlocked.Decrement(ref RateLimitNext) >= 0))
            {
                Interlocked.Increment(ref RateLimited);
                if (!early) _limitedUntil = DateTimeOffset.UtcNow.AddSeconds(2);
                http.Response.Headers["X-RateLimit-Limit"] = "10";
                http.Response.Headers["X-RateLimit-Remaining"] = "0";
                http.Response.Headers["X-RateLimit-Reset"] = Math.Ceiling((_limitedUntil - DateTimeOffset.UtcNow).TotalSeconds).ToString(CultureInfo.InvariantCulture);
                return Error(429, "api.context.rate_limit", "Too many requests.");
            }
            var body = (await JsonNode.ParseAsync(http.Request.Body))!.AsObject();
            var channel = body["channel_id"]!.GetValue<string>();
            var message = body["message"]?.GetValue<string>() ?? "";
            if (message.Length > MaxPostSize) return Error(400, "model.post.is_valid.msg.app_error", "Invalid message.");
            lock (_gate)
                if (!Members.TryGetValue(Resolve(channel), out var m) || !m.Contains(BotId)) return Error(403, "api.context.permissions.app_error", "You do not have the appropriate permissions.");
            var root = body["root_id"]?.GetValue<string>() ?? "";
            if (root.Length > 0 && Posts.FirstOrDefault(p => p.Id == root) is { } rootPost && rootPost.RootId.Length > 0)
                return Error(400, "api.post.create_post.root_id.app_error", "Invalid RootId parameter.");
            LocalPost post;
            var pending = body["pending_post_id"]?.GetValue<string>();
            lock (_gate)
            {
                if (pending is not null && _pending.TryGetValue(pending, out var existing)) post = _posts.First(p => p.Id == existing);
                else
                {
                    post = Create(BotId, channel, message, root, body["props"] as JsonObject);
                    if (pending is not null) _pending[pending] = post.Id;
                }
            }
            Broadcast(post);
            if (LoseAnswerNext > 0 && Interlocked.Decrement(ref LoseAnswerNext) >= 0)
            {
                http.Abort();
                return Results.Empty;
            }
            return Results.Json(Json(post), statusCode: 201);
        });
        api.MapPut("/posts/{id}/patch", async (string id, HttpContext http) =>
        {
            var body = (await JsonNode.ParseAsync(http.Request.Body))!.AsObject();
            lock (_gate)
            {
                var i = _posts.FindIndex(p => p.Id == id);
                if (i < 0) return Error(404, "app.post.get.app_error", "Unable to get the post.");
                _posts[i] = _posts[i] with { Message = body["message"]?.GetValue<string>() ?? _posts[i].Message, Props = body["props"] as JsonObject ?? _posts[i].Props };
                return Results.Json(Json(_posts[i]));
            }
        });
        api.MapGet("/posts/{id}", (string id) =>
            Posts.FirstOrDefault(p => p.Id == id) is { } p ? Results.Json(Json(p)) : Error(404, "app.post.get.app_error", "Unable to get the post."));
        api.MapGet("/channels/{id}/posts", (string id, long since) =>
        {
            var posts = new JsonObject();
            var order = new JsonArray();
            foreach (var p in Posts.Where(p => p.ChannelId == id && p.CreateAt >= since).OrderByDescending(p => p.CreateAt))
            {
                posts[p.Id] = Json(p);
                order.Add(p.Id);
            }
            return Results.Json(new JsonObject { ["order"] = order, ["posts"] = posts });
        });
        _app.Map("/api/v4/websocket", SocketAsync);
    }

    /// <summary>A direct channel's id: 26 characters like every Mattermost id.</summary>
    private static string DirectId(string key) => "dm" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..24];

    private string Resolve(string channel) => Members.Keys.FirstOrDefault(k => k.Contains("__", StringComparison.Ordinal) && DirectId(k) == channel) ?? channel;

    public string DirectChannelWith(string userId) => DirectId(string.Join("__", new[] { BotId, userId }.Order()));

    /// <summary>A person writes to Capstan directly.</summary>
    public string SayDirect(string userId, string text)
    {
        var key = string.Join("__", new[] { BotId, userId }.Order());
        lock (_gate) Members.TryAdd(key, [BotId, userId]);
        var post = Create(userId, DirectId(key), text, "", null);
        Broadcast(post);
        return post.Id;
    }

    public IReadOnlyList<LocalPost> BotDirectPosts(string userId) => Posts.Where(p => p.UserId == BotId && p.ChannelId == DirectChannelWith(userId)).ToList();

    private IResult User(string id)
    {
        lock (_gate)
            return Users.TryGetValue(id, out var u)
                ? Results.Json(new JsonObject { ["id"] = id, ["username"] = u.Name, ["is_bot"] = u.IsBot, ["delete_at"] = 0 })
                : Error(404, "app.user.missing_account.const", "Unable to find the user.");
    }

    private async Task SocketAsync(HttpContext http)
    {
        if (!http.WebSockets.IsWebSocketRequest) { http.Response.StatusCode = 400; return; }
        using var socket = await http.WebSockets.AcceptWebSocketAsync();
        var key = Guid.NewGuid().ToString("N");
        Send(socket, new JsonObject { ["event"] = "hello", ["data"] = new JsonObject { ["connection_id"] = key, ["server_version"] = "9.11.0" }, ["seq"] = 0 }.ToJsonString());
        var buffer = new byte[64 * 1024];
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var result = await socket.ReceiveAsync(buffer, http.RequestAborted);
                if (result.MessageType == WebSocketMessageType.Close) break;
                var frame = JsonNode.Parse(buffer.AsSpan(0, result.Count))!.AsObject();
                var seq = frame["seq"]!.GetValue<long>();
                var action = frame["action"]?.GetValue<string>();
                var token = (frame["data"] as JsonObject)?["token"]?.GetValue<string>();
                if (action == "authentication_challenge" && token == ValidToken) action = "authenticated";
                switch (action)
                {
                    case "authenticated":
                        Send(socket, new JsonObject { ["status"] = "OK", ["seq_reply"] = seq }.ToJsonString());
                        _sockets[key] = socket;
                        Interlocked.Increment(ref Authenticated);
                        break;
                    case "authentication_challenge":
                        Send(socket, new JsonObject { ["status"] = "FAIL", ["seq_reply"] = seq, ["error"] = new JsonObject { ["id"] = "api.web_socket_router.not_authenticated.app_error", ["message"] = "Invalid or expired session." } }.ToJsonString());
                        await socket.CloseAsync(WebSocketCloseStatus.PolicyViolation, "not authenticated", CancellationToken.None);
                        return;
                    case "ping":
                        Interlocked.Increment(ref Pings);
                        Send(socket, new JsonObject { ["status"] = "OK", ["seq_reply"] = seq, ["data"] = new JsonObject { ["text"] = "pong", ["version"] = "9.11.0" } }.ToJsonString());
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException) { /* dropped by the test or the client */ }
        finally { _sockets.TryRemove(key, out _); }
    }

    public async ValueTask DisposeAsync()
    {
        DropSockets();
        _clicks.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
