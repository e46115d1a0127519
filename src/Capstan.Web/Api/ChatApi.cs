using System.Text.Json;
using Capstan.Core.Access;
using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Conversation;
using Capstan.Core.Ledger;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Capstan.Web.Api;

/// <summary>The body of POST /api/rooms/{room}/messages.</summary>
public sealed record PostMessage(string? Text, string? ThreadId, bool? Addressed);

/// <summary>The JSON API for rooms, messages, the ledger, tokens and sign-in.</summary>
public static class ChatApi
{
    public static void MapChatApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", (Ledger ledger, ConfigState config) =>
            Results.Json(new { status = "ok", config = config.Current.ShortCommit, configRejected = config.Rejected?.Commit }));

        var api = app.MapGroup("/api").RequireSignIn();
        api.MapGet("/me", (Caller caller, ConfigState config) =>
        {
            var p = caller.Person;
            return Results.Json(new { id = p.Id, name = p.Name, roles = p.Roles, permissions = config.Current.Policy.Permissions(p).Select(g => g.ToString()), handles = p.Handles, via = caller.Via });
        });

        api.MapGet("/rooms", (Caller caller, RoomDirectory rooms) =>
        {
            return Results.Json(rooms.NamesFor(caller.Person.Id).Select(r => new { name = r, topic = rooms.Topic(r) }));
        });

        api.MapGet("/rooms/{room}/messages", async (string room, int? limit, Caller caller, RoomDirectory rooms, Ledger ledger, CancellationToken ct) =>
        {
            room = room.TrimStart('#').ToLowerInvariant();
            if (!rooms.Exists(room)) return Results.Json(new { error = ArgumentKind.Unknown("room", room, rooms.NamesFor(caller.Person.Id)) }, statusCode: 404);
            if (!RoomDirectory.MayEnter(room, caller.Person.Id)) return Results.Json(new { error = RoomDirectory.WhyPrivate(room) }, statusCode: 403);
            return Results.Json(await MessageView.RecentAsync(ledger, room, limit ?? 200, ct));
        });

        // The message's own ledger entry names the token it came with, so the use is not recorded twice.
        api.MapPost("/rooms/{room}/messages", async (string room, HttpContext http, Caller caller, RoomDirectory rooms, Conversation conversation, CancellationToken ct) =>
        {
            // JSON only: a browser can send text/plain across sites without asking first, application/json it cannot.
            if (!http.Request.HasJsonContentType())
                return Results.Json(new { error = "Send the message as JSON: the header Content-Type: application/json (curl: -H 'Content-Type: application/json') and a body like {\"text\": \"help\"}." }, statusCode: 415);
            PostMessage? body;
            try { body = await http.Request.ReadFromJsonAsync<PostMessage>(Ledger.Json, ct); }
            catch (JsonException ex) { return Results.Json(new { error = $"The body is not valid JSON ({ex.Message}). Send {{\"text\": \"help\"}}." }, statusCode: 400); }
            if (body?.Text is null || string.IsNullOrWhiteSpace(body.Text))
                return Results.Json(new { error = "The message is empty. Send {\"text\": \"help\"} to see what you can do." }, statusCode: 400);
            room = room.TrimStart('#').ToLowerInvariant();
            if (!rooms.Exists(room)) return Results.Json(new { error = ArgumentKind.Unknown("room", room, rooms.NamesFor(caller.Person.Id)) }, statusCode: 404);
            if (!RoomDirectory.MayEnter(room, caller.Person.Id)) return Results.Json(new { error = RoomDirectory.WhyPrivate(room) }, statusCode: 403);
            var result = await conversation.HandleAsync(new IncomingMessage(AccessPolicyPlatform, caller.Person.Id, room, body.Text, body.ThreadId, body.Addressed ?? true, caller.Via, caller.Token.Id), ct);
            return Results.Json(new
            {
                messageId = result.MessageId,
                outcome = result.Outcome.ToString(),
                command = result.Command,
                following = result.Following,
                replies = result.Replies.Select(MessageView.From),
            }, statusCode: result.MessageId is null ? 400 : 200);
        }).WithMetadata(new RecordsOwnTokenUse());

        api.MapGet("/events", async (HttpContext http, Caller caller, RoomFeed feed, TimeProvider clock, CancellationToken ct) =>
        {
            await EventStream.RunAsync(http, feed, clock, ct, e => RoomDirectory.MayEnter(e.Message.Room, caller.Person.Id));
        });

        api.MapGet("/ledger", async (long? after, int? limit, string? person, string? room, string? kind, DateTimeOffset? since, DateTimeOffset? until, string? q, bool? newest,
            Caller caller, Ledger ledger, ConfigState config, CancellationToken ct) =>
        {
            var d = config.Current.Policy.Check(config.Current.Policy.Identify(Core.Policy.AccessPolicy.CapstanPlatform, caller.Person.Id), CoreCommands.ReadPermission, "ledger", null, null);
            if (!d.Allowed) return Results.Json(new { error = d.Reason }, statusCode: 403);
            var reader = config.Current.Policy.LedgerReader(config.Current.Policy.Identify(Core.Policy.AccessPolicy.CapstanPlatform, caller.Person.Id));
            var entries = await ledger.QueryAsync(new LedgerQuery(after ?? 0, Math.Clamp(limit ?? 100, 1, 1000), person, room?.TrimStart('#'), kind, null, since, until, q, newest ?? false, reader), ct);
            return Results.Json(entries.Select(e => new
            {
                seq = e.Seq,
                at = e.At,
                kind = e.Kind,
                actor = e.Actor,
                room = e.Room,
                thread = e.Thread,
                data = JsonDocument.Parse(e.Data).RootElement,
                summary = CoreCommands.Summarise(e),
                prevHash = e.PrevHash,
                hash = e.Hash,
            }));
        });

        api.MapPost("/tokens", async (HttpContext http, Caller caller, AccessTokens tokens, Ledger ledger, CancellationToken ct) =>
        {
            var label = http.Request.Query["label"].ToString();
            var issued = await tokens.IssueAsync(caller.Person.Id, TokenKind.Api, string.IsNullOrWhiteSpace(label) ? "web" : label[..Math.Min(label.Length, 60)], null, ct);
            await ledger.AppendAsync(LedgerKinds.TokenCreated, caller.Person.Id, null, null, new { token = issued.Info.Id, label = issued.Info.Label, via = caller.Via ?? "web" });
            return Results.Json(new { id = issued.Info.Id, token = issued.Secret, note = "Shown once: store it now. Use it as `Authorization: Bearer TOKEN` or `capstan say --server URL --token TOKEN`." });
        });

        api.MapPost("/signin-links", async (string person, HttpContext http, Caller caller, AccessTokens tokens, Ledger ledger, ConfigState config, CancellationToken ct) =>
        {
            var policy = config.Current.Policy;
            var d = policy.Check(policy.Identify(Core.Policy.AccessPolicy.CapstanPlatform, caller.Person.Id), Core.Policy.AccessPolicy.AdminPermission, "signin-link", null, null);
            if (!d.Allowed && person != caller.Person.Id) return Results.Json(new { error = d.Reason }, statusCode: 403);
            if (!policy.People.ContainsKey(person)) return Results.Json(new { error = ArgumentKind.Unknown("person", person, policy.People.Keys) }, statusCode: 404);
            var issued = await tokens.IssueAsync(person, TokenKind.SignIn, "sign-in link", SignIn.LinkLifetime, ct);
            await ledger.AppendAsync("access.signin-link", caller.Person.Id, null, null, new { person, token = issued.Info.Id });
            return Results.Json(new { person, url = $"{http.Request.Scheme}://{http.Request.Host}/signin?token={Uri.EscapeDataString(issued.Secret)}", expiresAt = issued.Info.ExpiresAt });
        });
    }

    private const string AccessPolicyPlatform = Core.Policy.AccessPolicy.CapstanPlatform;
}
