using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Capstan.Chat.Adapters;
using Capstan.Chat.Store;
using Capstan.Chat.Text;
using Capstan.Core.Commands;
using Capstan.Core.Conversation;
using Capstan.Core.Jobs;
using Capstan.Core.Secrets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Capstan.Chat.Mattermost;

/// <summary>
/// Capstan on one Mattermost server: who it is from <c>GET /users/me</c>, people's posts from the WebSocket event stream
/// (caught up with <c>GET /channels/{id}/posts?since=</c> after a reconnect), replies by <c>POST /posts</c> in the thread of
/// the question (<c>root_id</c>), progress by <c>PUT /posts/{id}/patch</c>, buttons as message attachment actions, direct
/// messages through <c>POST /channels/direct</c>. What arrives is taken in order by one worker, so the stream keeps being read.
/// </summary>
public sealed class MattermostAdapter : IChatAdapter, IRichChatAdapter
{
    private readonly MattermostSettings _settings;
    private readonly SecretStore _secrets;
    private readonly IChatStore _store;
    private readonly IServiceProvider _services;
    private readonly HttpClient _http = new();
    private readonly Action<MattermostAdapter> _gone;
    private readonly MattermostMarkup _markup = new();
    private readonly ConcurrentDictionary<string, string> _directChannels = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, string> _roots = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (MattermostUser User, DateTimeOffset At)> _users = new(StringComparer.Ordinal);
    private Channel<Func<CancellationToken, Task>> _work = Channel.CreateUnbounded<Func<CancellationToken, Task>>();
    private volatile string? _selfId, _selfName;
    private long _seen;

    /// <summary>How long a user's name is trusted before it is asked again (a renamed account must not keep an old name's rights for long).</summary>
    public static readonly TimeSpan UserMemory = TimeSpan.FromMinutes(1);

    public MattermostAdapter(MattermostSettings settings, IServiceProvider services, Action<MattermostAdapter> gone)
    {
        _settings = settings;
        _services = services;
        _secrets = services.GetRequiredService<SecretStore>();
        _store = services.GetRequiredService<IChatStore>();
        Clock = services.GetService<TimeProvider>() ?? TimeProvider.System;
        Log = (services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger("Capstan.Chat.mattermost");
        _gone = gone;
        Api = new MattermostApi(_http, settings.Api, Token, Clock, Log);
    }

    public string Platform => "mattermost";
    public MattermostSettings Settings => _settings;
    public MattermostApi Api { get; }
    public MattermostChannels Channels { get; private set; } = new();
    public ILogger Log { get; }
    public TimeProvider Clock { get; }
    public ChatMarkup Markup => _markup;

    /// <summary>Mattermost lets a post be edited as often as its rate limit allows; one edit a second keeps well under 10/s.</summary>
    public EditLimit Edits => EditLimit.Every(TimeSpan.FromSeconds(1));

    public IReadOnlyList<string> SelfNames => _selfName is { } name ? [name] : [];

    /// <summary>The session while connected: what button clicks are handed to.</summary>
    internal AdapterSession? Session { get; private set; }

    private string Token()
    {
        var (value, problem) = _secrets.Find(_settings.Token.Name);
        return value ?? throw new MattermostTokenRefused($"The Mattermost bot token is missing: {problem}");
    }

    public async Task RunAsync(AdapterSession session, CancellationToken ct)
    {
        var me = await Api.CallAsync(HttpMethod.Get, "users/me", null, ct) as JsonObject
            ?? throw new IOException("Mattermost answered GET /users/me with something that is not a user");
        _selfId = me["id"]?.GetValue<string>();
        _selfName = me["username"]?.GetValue<string>();
        await ReadLimitAsync(ct);
        var channels = new MattermostChannels();
        foreach (var id in Channels.DirectIds) channels.SawDirect(id);
        var missing = await channels.ResolveAsync(_settings.Rooms.Values, Api, ct);
        Channels = channels;
        foreach (var m in missing)
            Log.LogWarning("The Mattermost channel {Channel} under platforms.mattermost.rooms was not found: check the team and channel names (as in the channel's address) and that the bot account is a member of the team", m);

        _work = Channel.CreateUnbounded<Func<CancellationToken, Task>>(new UnboundedChannelOptions { SingleReader = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var worker = WorkAsync(_work.Reader, stop.Token);
        try
        {
            await using var socket = await MattermostSocket.ConnectAsync(_settings.Url, Token(), Clock, Log, ct);
            Session = session;
            session.Connected($"as @{_selfName} on {_settings.Url.Host}" + (missing.Count > 0 ? $"; not found: {string.Join(", ", missing)}" : ""));
            await CatchUpAsync(session, ct);
            await socket.ReadAsync(e => Take(session, e), ct);
        }
        finally
        {
            Session = null;
            _work.Writer.TryComplete();
            await stop.CancelAsync();
            try { await worker; }
            catch (OperationCanceledException) { /* the session ended */ }
            if (Interlocked.Read(ref _seen) > 0)
            {
                try { await SaveSeenAsync(session, CancellationToken.None); }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.LogWarning(ex, "The last Mattermost post taken could not be remembered; the next catch-up reads from an earlier one (nothing is answered twice)");
                }
            }
        }
    }

    /// <summary>The server's post length (<c>MaxPostSize</c> in the client configuration, when the server tells it).</summary>
    private async Task ReadLimitAsync(CancellationToken ct)
    {
        try
        {
            var config = await Api.FindAsync("config/client?format=old", ct);
            if (config?["MaxPostSize"]?.ToString() is { } size && int.TryParse(size, NumberStyles.Integer, CultureInfo.InvariantCulture, out var max))
                _markup.UseLimit(max);
        }
        catch (ChatDeliveryRefused ex)
        {
            Log.LogInformation("Mattermost did not give its MaxPostSize ({Reason}); posts are kept under {Limit} characters", ex.Message, MattermostMarkup.DefaultLimit);
        }
    }

    /// <summary>
    /// Takes what was posted in the rooms while the stream was down: each room's posts since the last one seen (kept
    /// durably). The host answers each post id once, so a post the stream also delivers is not answered twice.
    /// </summary>
    private async Task CatchUpAsync(AdapterSession session, CancellationToken ct)
    {
        var cursor = await session.CursorAsync("seen", ct);
        if (!long.TryParse(cursor, NumberStyles.Integer, CultureInfo.InvariantCulture, out var since))
        {
            // The first connection: what was said before Capstan joined is history, not commands.
            Interlocked.Exchange(ref _seen, Clock.GetUtcNow().ToUnixTimeMilliseconds());
            await session.SaveCursorAsync("seen", Interlocked.Read(ref _seen).ToString(CultureInfo.InvariantCulture), ct);
            return;
        }
        Interlocked.Exchange(ref _seen, Math.Max(Interlocked.Read(ref _seen), since));
        foreach (var channel in Channels.RoomIds.Concat(Channels.DirectIds).Distinct().ToList())
        {
            var page = await Api.CallAsync(HttpMethod.Get, $"channels/{channel}/posts?since={since}", null, ct) as JsonObject;
            if (page?["posts"] is not JsonObject posts) continue;
            var missed = posts.Select(p => p.Value).OfType<JsonObject>()
                .Where(p => Number(p["create_at"]) >= since && Number(p["delete_at"]) == 0)
                .OrderBy(p => Number(p["create_at"])).ToList();
            if (missed.Count > 0) Log.LogInformation("Catching up on {Count} Mattermost posts in {Channel} made while disconnected", missed.Count, Channels.NameOf(channel));
            foreach (var post in missed)
            {
                var direct = Channels.IsDirect(channel);
                _work.Writer.TryWrite(c => TakePostAsync(session, post, direct, c));
            }
        }
    }

    /// <summary>One event from the stream: a <c>posted</c> event's post is JSON inside the JSON.</summary>
    private void Take(AdapterSession session, JsonObject e)
    {
        if (e["event"]?.GetValue<string>() != "posted" || e["data"] is not JsonObject data) return;
        if (data["post"]?.GetValue<string>() is not { } text || JsonNode.Parse(text) is not JsonObject post) return;
        var direct = data["channel_type"]?.GetValue<string>() == "D";
        _work.Writer.TryWrite(c => TakePostAsync(session, post, direct, c));
    }

    private async Task TakePostAsync(AdapterSession session, JsonObject post, bool direct, CancellationToken ct)
    {
        var id = post["id"]?.GetValue<string>();
        var channel = post["channel_id"]?.GetValue<string>();
        var userId = post["user_id"]?.GetValue<string>();
        if (id is null || channel is null || userId is null) return;
        var root = post["root_id"]?.GetValue<string>() is { Length: > 0 } r ? r : null;
        _roots[id] = root ?? id;
        var created = Number(post["create_at"]);
        if (post["type"]?.GetValue<string>() is { Length: > 0 }) return; // joins, header changes: the server's, not a person's
        if (direct) Channels.SawDirect(channel);
        ChatSender sender;
        if (userId == _selfId) sender = new ChatSender(_selfName ?? userId, _selfName ?? userId, IsSelf: true);
        else
        {
            var user = await UserAsync(userId, ct);
            var props = post["props"] as JsonObject;
            var fromBot = Flag(props?["from_bot"]) || Flag(props?["from_webhook"]) || Flag(props?["from_plugin"]);
            var name = user?.Name ?? userId;
            sender = new ChatSender(name, name, IsBot: fromBot || user?.IsBot == true,
                Matches: handle => string.Equals(handle, name, StringComparison.OrdinalIgnoreCase) || string.Equals(handle, userId, StringComparison.Ordinal));
        }
        var text = post["message"]?.GetValue<string>() ?? "";
        await session.ReceiveAsync(new ChatInbound(id, direct ? channel : Channels.NameOf(channel), direct, sender, text, id, root), ct);
        if (created > Interlocked.Read(ref _seen)) Interlocked.Exchange(ref _seen, created);
        // Kept at most once a second (and when the session ends): an older cursor only means more posts read again at
        // the next catch-up, which the host's delivery ids answer once.
        if (Clock.GetUtcNow() - _cursorSaved >= CursorEvery) await SaveSeenAsync(session, ct);
    }

    private static readonly TimeSpan CursorEvery = TimeSpan.FromSeconds(1);
    private DateTimeOffset _cursorSaved;

    private async Task SaveSeenAsync(AdapterSession session, CancellationToken ct)
    {
        _cursorSaved = Clock.GetUtcNow();
        await session.SaveCursorAsync("seen", Interlocked.Read(ref _seen).ToString(CultureInfo.InvariantCulture), ct);
    }

    /// <summary>Takes a click on one of Capstan's buttons: runs the offered command as the person who clicked.</summary>
    internal void Enqueue(Func<CancellationToken, Task> work) => _work.Writer.TryWrite(work);

    private async Task WorkAsync(ChannelReader<Func<CancellationToken, Task>> reader, CancellationToken ct)
    {
        await foreach (var work in reader.ReadAllAsync(ct))
        {
            try { await work(ct); }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { throw; }
            catch (Exception ex)
            {
                Log.LogWarning(ex, "A Mattermost post could not be taken: {Reason}", ex.Message);
            }
        }
    }

    /// <summary>A user's name and whether the account is a bot (asked again after <see cref="UserMemory"/>).</summary>
    internal async Task<MattermostUser?> UserAsync(string userId, CancellationToken ct)
    {
        if (_users.TryGetValue(userId, out var known) && Clock.GetUtcNow() - known.At < UserMemory) return known.User;
        if (!MattermostChannels.IsId(userId)) return null;
        if (await Api.FindAsync($"users/{userId}", ct) is not JsonObject u || u["username"]?.GetValue<string>() is not { } name) return null;
        var user = new MattermostUser(userId, name, u["is_bot"]?.GetValue<bool>() == true || Number(u["delete_at"]) != 0);
        _users[userId] = (user, Clock.GetUtcNow());
        return user;
    }

    public Task<string> PostAsync(ChatDestination to, string text, CancellationToken ct) => PostAsync(to, text, null, false, ct);

    public Task EditAsync(ChatDestination to, string messageRef, string text, CancellationToken ct) => EditAsync(to, messageRef, text, null, ct);

    public async Task<string> PostAsync(ChatDestination to, string text, RoomMessage? message, bool lastPart, CancellationToken ct)
    {
        var channel = to.Direct ? await DirectChannelAsync(to.Channel, ct) : Channels.IdOf(to.Channel);
        var body = new JsonObject { ["channel_id"] = channel, ["message"] = text };
        if (to.ThreadRef is { } thread) body["root_id"] = await RootAsync(thread, ct);
        // The server answers a second create with the same pending id with the first post: a retry after a lost answer posts once.
        if (message is not null) body["pending_post_id"] = $"{message.Id}:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..12]}";
        if (lastPart && message?.Actions is { Count: > 0 } actions && await PropsAsync(actions, channel, ct) is { } props) body["props"] = props;
        var post = await Api.CallAsync(HttpMethod.Post, "posts", body, ct);
        var id = post?["id"]?.GetValue<string>() ?? throw new IOException("Mattermost answered POST /posts without the post's id");
        _roots[id] = body["root_id"]?.GetValue<string>() ?? id;
        return id;
    }

    public async Task EditAsync(ChatDestination to, string messageRef, string text, RoomMessage? message, CancellationToken ct)
    {
        var body = new JsonObject { ["message"] = text };
        if (message is not null)
        {
            var channel = to.Direct ? await DirectChannelAsync(to.Channel, ct) : Channels.IdOf(to.Channel);
            body["props"] = message.Actions is { Count: > 0 } actions ? await PropsAsync(actions, channel, ct) ?? new JsonObject() : new JsonObject();
        }
        await Api.CallAsync(HttpMethod.Put, $"posts/{messageRef}/patch", body, ct);
    }

    /// <summary>The thread's root: Mattermost threads are one level deep, so a reply to a reply goes under the first post.</summary>
    private async Task<string> RootAsync(string postId, CancellationToken ct)
    {
        if (_roots.TryGetValue(postId, out var root)) return root;
        var post = await Api.FindAsync($"posts/{postId}", ct);
        root = post?["root_id"]?.GetValue<string>() is { Length: > 0 } r ? r : postId;
        _roots[postId] = root;
        return root;
    }

    /// <summary>
    /// The buttons, as a message attachment whose actions call Capstan's actions endpoint. Each button carries only an
    /// unguessable offer id; the command it runs is kept here (durably), so a click can run nothing Capstan did not offer.
    /// </summary>
    private async Task<JsonObject?> PropsAsync(IReadOnlyList<ReplyAction> actions, string channel, CancellationToken ct)
    {
        if (ActionsUrl() is not { } url) return null;
        var buttons = new JsonArray();
        for (var i = 0; i < actions.Count && i < 10; i++)
        {
            var action = actions[i];
            var offer = RandomNumberGenerator.GetHexString(32, lowercase: true);
            await _store.SaveCursorAsync(Platform, MattermostActions.OfferKey(offer), new JsonObject { ["command"] = action.Command, ["channel"] = channel }.ToJsonString(), ct);
            buttons.Add(new JsonObject
            {
                ["id"] = "capstan" + i.ToString(CultureInfo.InvariantCulture),
                ["name"] = action.Label.Length > 50 ? action.Label[..50] : action.Label,
                ["style"] = action.Style switch { ActionStyle.Primary => "primary", ActionStyle.Danger => "danger", _ => "default" },
                ["integration"] = new JsonObject { ["url"] = url, ["context"] = new JsonObject { ["offer"] = offer } },
            });
        }
        return new JsonObject { ["attachments"] = new JsonArray(new JsonObject { ["actions"] = buttons }) };
    }

    /// <summary>Where Mattermost sends clicks: <c>actionsUrl</c>, else the web UI's address; none means text only.</summary>
    private string? ActionsUrl() =>
        _settings.ActionsUrl?.ToString()
        ?? (_services.GetService<JobRunner>()?.WebAddress is { Length: > 0 } web ? web.TrimEnd('/') + MattermostSettings.ActionsPath : null);

    /// <summary>The direct channel with a person: their handle is a user name (or a user id); a direct channel's id is used as is.</summary>
    private async Task<string> DirectChannelAsync(string handle, CancellationToken ct)
    {
        if (Channels.IsDirect(handle)) return handle;
        if (_directChannels.TryGetValue(handle, out var known)) return known;
        var user = await Api.FindAsync($"users/username/{Uri.EscapeDataString(handle.TrimStart('@'))}", ct);
        var userId = user?["id"]?.GetValue<string>();
        if (userId is null)
        {
            if (!MattermostChannels.IsId(handle)) throw new ChatDeliveryRefused($"Mattermost has no user named {handle}; check the person's handles.mattermost");
            if (await UserAsync(handle, ct) is null) return handle; // a direct channel's id (kept from an earlier run)
            userId = handle;
        }
        var channel = await Api.CallAsync(HttpMethod.Post, "channels/direct", new JsonArray(_selfId, userId), ct);
        var id = channel?["id"]?.GetValue<string>() ?? throw new IOException("Mattermost answered POST /channels/direct without the channel's id");
        Channels.SawDirect(id);
        _directChannels[handle] = id;
        return id;
    }

    private static long Number(JsonNode? node) => node is JsonValue v && v.TryGetValue<long>(out var n) ? n : 0;

    private static bool Flag(JsonNode? node) => node is JsonValue v && (v.TryGetValue<bool>(out var b) ? b : v.TryGetValue<string>(out var s) && s == "true");

    public ValueTask DisposeAsync()
    {
        _gone(this);
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>A Mattermost account as Capstan needs it: its id, its user name (the handle people configure) and whether it is a bot.</summary>
internal sealed record MattermostUser(string Id, string Name, bool IsBot);
