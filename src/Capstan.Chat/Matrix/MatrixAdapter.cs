using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Capstan.Chat.Adapters;
using Capstan.Chat.Text;
using Capstan.Core.Conversation;
using Capstan.Core.Secrets;
using Microsoft.Extensions.Logging;

namespace Capstan.Chat.Matrix;

/// <summary>
/// Capstan on a Matrix homeserver. Receives with <c>/sync</c> long-polls under a filter, saving <c>next_batch</c> only
/// after the batch's messages are taken (a restart neither loses nor re-answers; a first start skips old history);
/// joins rooms it is invited to only by linked people or when the room is mapped; opens direct rooms with
/// <c>createRoom</c> (<c>is_direct</c>) and remembers them in <c>m.direct</c>. Sends with transaction ids made from the
/// Capstan message id and part, so a send retried after a dropped connection is not posted twice.
/// </summary>
public sealed class MatrixAdapter(MatrixSettings settings, SecretStore secrets, TimeProvider clock, ILogger<MatrixAdapter> log) : IChatAdapter
{
    private const string NextBatch = "next_batch";
    private const string DirectRooms = "direct_rooms";

    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan };
    private readonly ConcurrentDictionary<string, string> _roomIds = new(StringComparer.Ordinal);   // configured channel -> room id
    private readonly ConcurrentDictionary<string, string> _channels = new(StringComparer.Ordinal);  // room id -> configured channel
    private readonly ConcurrentDictionary<string, string> _direct = new(StringComparer.Ordinal);    // direct room id -> the person's user id
    private readonly SemaphoreSlim _opening = new(1, 1);
    private volatile MatrixClient? _client;
    private volatile AdapterSession? _session;

    /// <summary>How long one <c>/sync</c> waits for news before it returns empty.</summary>
    public TimeSpan SyncTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public string Platform => "matrix";
    public ChatMarkup Markup { get; } = new MatrixMarkup();
    public EditLimit Edits { get; } = EditLimit.Every(TimeSpan.FromSeconds(2));
    public IReadOnlyList<string> SelfNames => [MatrixIds.Localpart(settings.User)];

    public async Task RunAsync(AdapterSession session, CancellationToken ct)
    {
        var (token, problem) = secrets.Find(settings.Token.Name);
        if (token is null) throw new InvalidOperationException("Capstan cannot sign in to Matrix: " + problem);
        var client = new MatrixClient(_http, settings, token, clock, session.Log);
        var me = MatrixClient.Str(await client.GetAsync("account/whoami", ct), "user_id");
        if (!string.Equals(me, settings.User, StringComparison.Ordinal))
            throw new InvalidOperationException($"The access token in the secret '{settings.Token.Name}' belongs to {me}, not {settings.User}: set platforms.matrix.user to {me} or use a token of {settings.User}.");
        _client = client;
        _session = session;
        await JoinMappedRoomsAsync(client, ct);
        await LoadDirectRoomsAsync(session, ct);
        var filter = MatrixClient.Str(await client.PostAsync($"user/{MatrixClient.Escape(settings.User)}/filter", Filter(), ct), "filter_id")
            ?? throw new InvalidOperationException("The Matrix homeserver made no filter_id for Capstan's sync filter.");
        var since = await session.CursorAsync(NextBatch, ct);
        if (since is null)
        {
            // First start: take invitations and direct rooms, but do not answer what was said before Capstan came.
            var first = await SyncAsync(client, filter, null, TimeSpan.Zero, ct);
            await TakeAsync(session, client, first, answer: false, ct);
            since = Next(first);
            await session.SaveCursorAsync(NextBatch, since, ct);
        }
        session.Connected($"{settings.User} on {settings.Homeserver.Host}");
        while (!ct.IsCancellationRequested)
        {
            var batch = await SyncAsync(client, filter, since, SyncTimeout, ct);
            await TakeAsync(session, client, batch, answer: true, ct);
            since = Next(batch);
            await session.SaveCursorAsync(NextBatch, since, ct);
        }
    }

    private static string Next(JsonObject batch) =>
        MatrixClient.Str(batch, NextBatch) ?? throw new InvalidOperationException("The Matrix homeserver's /sync answer had no next_batch.");

    private static Task<JsonObject> SyncAsync(MatrixClient client, string filter, string? since, TimeSpan timeout, CancellationToken ct)
    {
        var query = $"sync?filter={Uri.EscapeDataString(filter)}&timeout={(long)timeout.TotalMilliseconds}&set_presence=offline";
        if (since is not null) query += "&since=" + Uri.EscapeDataString(since);
        return client.GetAsync(query, ct, timeout + TimeSpan.FromSeconds(30));
    }

    /// <summary>Only what Capstan reads: room messages, its own m.direct, no presence, typing or receipts.</summary>
    private static JsonObject Filter() => new()
    {
        ["presence"] = new JsonObject { ["types"] = new JsonArray() },
        ["account_data"] = new JsonObject { ["types"] = new JsonArray("m.direct") },
        ["room"] = new JsonObject
        {
            ["timeline"] = new JsonObject { ["types"] = new JsonArray("m.room.message"), ["limit"] = 100 },
            ["state"] = new JsonObject { ["types"] = new JsonArray(), ["lazy_load_members"] = true },
            ["ephemeral"] = new JsonObject { ["types"] = new JsonArray() },
            ["account_data"] = new JsonObject { ["types"] = new JsonArray() },
        },
    };

    private async Task JoinMappedRoomsAsync(MatrixClient client, CancellationToken ct)
    {
        foreach (var channel in settings.Rooms.Values)
        {
            var id = channel;
            if (MatrixIds.IsAlias(channel))
                id = MatrixClient.Str(await client.GetAsync($"directory/room/{MatrixClient.Escape(channel)}", ct), "room_id")
                    ?? throw new InvalidOperationException($"The Matrix homeserver did not resolve the alias {channel} to a room.");
            _roomIds[channel] = id;
            _channels[id] = channel;
            try { await client.PostAsync($"join/{MatrixClient.Escape(id)}", new JsonObject(), ct); }
            catch (ChatDeliveryRefused ex)
            {
                // An invite-only room: Capstan joins when invited (the room is mapped, so the invitation is accepted).
                log.LogWarning("Capstan could not join the mapped Matrix room {Channel}; invite {User} to it: {Reason}", channel, settings.User, ex.Message);
            }
        }
    }

    private async Task LoadDirectRoomsAsync(AdapterSession session, CancellationToken ct)
    {
        if (await session.CursorAsync(DirectRooms, ct) is not { } saved) return;
        foreach (var (room, user) in JsonSerializer.Deserialize<Dictionary<string, string>>(saved) ?? []) _direct[room] = user;
    }

    private Task SaveDirectRoomsAsync(AdapterSession session, CancellationToken ct) =>
        session.SaveCursorAsync(DirectRooms, JsonSerializer.Serialize(_direct.ToDictionary()), ct);

    /// <summary>Takes one sync batch in order: m.direct, invitations, then each joined room's messages.</summary>
    private async Task TakeAsync(AdapterSession session, MatrixClient client, JsonObject batch, bool answer, CancellationToken ct)
    {
        if (batch["account_data"]?["events"] is JsonArray account && ReadDirect(account)) await SaveDirectRoomsAsync(session, ct);
        if (batch["rooms"]?["invite"] is JsonObject invites)
            foreach (var (room, invite) in invites) await AnswerInviteAsync(session, client, room, invite, ct);
        if (!answer || batch["rooms"]?["join"] is not JsonObject joined) return;
        foreach (var (room, state) in joined)
        {
            if (state?["timeline"]?["events"] is not JsonArray events) continue;
            foreach (var e in events)
                if (Inbound(room, e) is { } message) await session.ReceiveAsync(message, ct);
        }
    }

    /// <summary>Merges Capstan's <c>m.direct</c> account data (user → direct rooms); true when it taught something new.</summary>
    private bool ReadDirect(JsonArray events)
    {
        var changed = false;
        foreach (var e in events)
        {
            if (MatrixClient.Str(e, "type") != "m.direct" || e?["content"] is not JsonObject content) continue;
            foreach (var (user, rooms) in content)
                foreach (var room in rooms as JsonArray ?? [])
                    if (room?.GetValueKind() == JsonValueKind.String && _direct.TryAdd(room.GetValue<string>(), user)) changed = true;
        }
        return changed;
    }

    /// <summary>Joins when the inviter is a linked person or the room is mapped; otherwise rejects the invitation.</summary>
    private async Task AnswerInviteAsync(AdapterSession session, MatrixClient client, string room, JsonNode? invite, CancellationToken ct)
    {
        var member = (invite?["invite_state"]?["events"] as JsonArray ?? []).FirstOrDefault(e =>
            MatrixClient.Str(e, "type") == "m.room.member" && MatrixClient.Str(e, "state_key") == settings.User);
        var inviter = MatrixClient.Str(member, "sender") ?? "";
        var direct = member?["content"]?["is_direct"] is JsonValue d && d.TryGetValue<bool>(out var isDirect) && isDirect;
        var mapped = _channels.ContainsKey(room);
        var path = MatrixClient.Escape(room);
        try
        {
            if (mapped || (MatrixIds.IsUser(inviter) && session.IsLinked(new ChatSender(inviter, inviter))))
            {
                await client.PostAsync($"rooms/{path}/join", new JsonObject(), ct);
                log.LogInformation("Joined the Matrix room {Room}: invited by {Inviter}", room, inviter);
                if (direct && !mapped)
                {
                    _direct[room] = inviter;
                    await SaveDirectRoomsAsync(session, ct);
                }
                return;
            }
            await client.PostAsync($"rooms/{path}/leave", new JsonObject { ["reason"] = "Capstan joins rooms only when a person linked in capstan.yaml invites it." }, ct);
            log.LogInformation("Declined an invitation to the Matrix room {Room} from {Inviter}: only people linked in capstan.yaml can invite Capstan", room, inviter);
        }
        catch (ChatDeliveryRefused ex)
        {
            // The invitation was withdrawn or the room is gone: nothing to answer, and the next sync goes on.
            log.LogWarning("Could not answer the invitation to the Matrix room {Room} from {Inviter}: {Reason}", room, inviter, ex.Message);
        }
    }

    /// <summary>A text message someone said in a joined room, or null for anything else (edits, media, state).</summary>
    private ChatInbound? Inbound(string room, JsonNode? e)
    {
        if (MatrixClient.Str(e, "type") != "m.room.message" || e?["content"] is not JsonObject content) return null;
        var id = MatrixClient.Str(e, "event_id");
        var sender = MatrixClient.Str(e, "sender");
        var body = MatrixClient.Str(content, "body");
        var type = MatrixClient.Str(content, "msgtype");
        if (id is null || sender is null || body is null || type is not ("m.text" or "m.notice")) return null;
        var relation = content["m.relates_to"];
        var relType = MatrixClient.Str(relation, "rel_type");
        if (relType == "m.replace") return null; // an edit of an earlier message is not a new command
        var thread = relType == "m.thread" ? MatrixClient.Str(relation, "event_id") : null;
        var (addressed, text) = WithoutMention(body);
        var who = new ChatSender(sender, sender, IsBot: type == "m.notice", IsSelf: sender == settings.User);
        var direct = _direct.ContainsKey(room) && !_channels.ContainsKey(room);
        var channel = _channels.TryGetValue(room, out var configured) ? configured : room;
        return new ChatInbound(id, channel, direct, who, text, id, thread, addressed);
    }

    /// <summary>Removes a leading mention of Capstan's full user id (<c>@capstan:example.org: whoami</c>), which clients insert as a pill.</summary>
    private (bool Addressed, string Text) WithoutMention(string body)
    {
        var t = body.TrimStart();
        if (!t.StartsWith(settings.User, StringComparison.OrdinalIgnoreCase)) return (false, body);
        var rest = t[settings.User.Length..];
        if (rest.Length > 0 && rest[0] is not (':' or ',' or ' ')) return (false, body);
        return (true, rest.TrimStart(':', ',').Trim());
    }

    public async Task<string> PostAsync(ChatDestination to, string text, CancellationToken ct)
    {
        var client = Client;
        var room = await RoomAsync(client, to, ct);
        var txn = to.Key is { } key ? "capstan." + key : "capstan." + Guid.NewGuid().ToString("N");
        var sent = await client.PutAsync($"rooms/{MatrixClient.Escape(room)}/send/m.room.message/{MatrixClient.Escape(txn)}", MatrixContent.Message(text, to.ThreadRef), ct);
        return MatrixClient.Str(sent, "event_id") ?? throw new InvalidOperationException("The Matrix homeserver accepted a message but returned no event_id.");
    }

    public async Task EditAsync(ChatDestination to, string messageRef, string text, CancellationToken ct)
    {
        var client = Client;
        var room = await RoomAsync(client, to, ct);
        // The same edit retried has the same transaction id: posted once.
        var txn = "capstan.edit." + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(messageRef + "\n" + text)))[..32];
        await client.PutAsync($"rooms/{MatrixClient.Escape(room)}/send/m.room.message/{txn}", MatrixContent.Edit(text, messageRef), ct);
    }

    private MatrixClient Client => _client ?? throw new InvalidOperationException("Capstan is not connected to the Matrix homeserver yet.");

    /// <summary>The room id to send to: a mapped room, a direct room, or a new direct room with a person (their user id).</summary>
    private async Task<string> RoomAsync(MatrixClient client, ChatDestination to, CancellationToken ct)
    {
        if (_roomIds.TryGetValue(to.Channel, out var mapped)) return mapped;
        if (MatrixIds.IsRoom(to.Channel)) return to.Channel;
        if (!to.Direct || !MatrixIds.IsUser(to.Channel))
            throw new ChatDeliveryRefused($"'{to.Channel}' is not a Matrix room id (!id:server) or, for a direct message, a user id (@name:server).");
        await _opening.WaitAsync(ct);
        try
        {
            var known = _direct.FirstOrDefault(d => d.Value == to.Channel).Key;
            if (known is not null) return known;
            var made = await client.PostAsync("createRoom", new JsonObject
            {
                ["is_direct"] = true,
                ["preset"] = "trusted_private_chat",
                ["invite"] = new JsonArray(to.Channel),
            }, ct);
            var room = MatrixClient.Str(made, "room_id") ?? throw new InvalidOperationException("The Matrix homeserver made a direct room but returned no room_id.");
            _direct[room] = to.Channel;
            if (_session is { } session) await SaveDirectRoomsAsync(session, ct);
            await client.PutAsync($"user/{MatrixClient.Escape(settings.User)}/account_data/m.direct", DirectContent(), ct);
            return room;
        }
        finally { _opening.Release(); }
    }

    /// <summary>The <c>m.direct</c> account data: each person's direct rooms with Capstan.</summary>
    private JsonObject DirectContent()
    {
        var content = new JsonObject();
        foreach (var group in _direct.GroupBy(d => d.Value, StringComparer.Ordinal))
            content[group.Key] = new JsonArray([.. group.Select(d => (JsonNode?)JsonValue.Create(d.Key))]);
        return content;
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        _opening.Dispose();
        return ValueTask.CompletedTask;
    }
}
