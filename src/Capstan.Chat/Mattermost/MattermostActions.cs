using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Capstan.Chat.Adapters;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Capstan.Chat.Mattermost;

/// <summary>
/// <c>POST /hooks/mattermost/actions</c>: a click on one of Capstan's buttons, sent by the Mattermost server. Mattermost
/// does not sign these requests, so a click is only taken when its context holds an offer id Capstan made for that
/// button (128 random bits, kept in the chat store with the command and the channel), it comes from that channel, and
/// the clicker is a member of the channel (asked of Mattermost with the bot's token). The command run is the one kept
/// with the offer, never text from the request, and it runs as the person who clicked, under their role.
/// </summary>
internal sealed partial class MattermostActions(Func<MattermostAdapter?> current)
{
    /// <summary>A larger body is not a click (clicks are well under 2 KB).</summary>
    private const int MaxBody = 64 * 1024;

    public static string OfferKey(string offer) => "offer:" + offer;

    public async Task<IResult> ClickAsync(HttpContext http)
    {
        if (current() is not { } adapter) return Results.NotFound();
        if (http.Request.ContentLength > MaxBody) return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, http.RequestAborted);
        if (buffer.Length > MaxBody) return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        JsonObject? click;
        try { click = JsonNode.Parse(buffer.ToArray()) as JsonObject; }
        catch (JsonException) { click = null; }
        var offer = Text(click?["context"]?["offer"]);
        var channel = Text(click?["channel_id"]);
        var userId = Text(click?["user_id"]);
        var postId = Text(click?["post_id"]);
        if (click is null || offer is null || !Offer().IsMatch(offer) || channel is null || userId is null || postId is null)
            return Refuse(adapter, http, "it is not a click on a Capstan button");
        if (adapter.Session is not { } session) return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
        var ct = http.RequestAborted;
        var kept = await session.CursorAsync(OfferKey(offer), ct) is { } json ? JsonNode.Parse(json) as JsonObject : null;
        if (kept?["command"]?.GetValue<string>() is not { } command)
            return Refuse(adapter, http, "its offer is not one Capstan made");
        if (kept["channel"]?.GetValue<string>() != channel)
            return Refuse(adapter, http, "it comes from another channel than the button's");
        var user = await adapter.UserAsync(userId, ct);
        if (user is null || await adapter.Api.FindAsync($"channels/{channel}/members/{userId}", ct) is null)
            return Refuse(adapter, http, "the clicker is not a member of the button's channel");
        var direct = adapter.Channels.IsDirect(channel);
        var sender = new ChatSender(user.Name, user.Name, IsBot: user.IsBot,
            Matches: handle => string.Equals(handle, user.Name, StringComparison.OrdinalIgnoreCase) || string.Equals(handle, user.Id, StringComparison.Ordinal));
        var delivery = "click:" + (Text(click["trigger_id"]) ?? Guid.NewGuid().ToString("N"));
        var root = await adapter.Api.FindAsync($"posts/{postId}", ct) is { } post && Text(post["root_id"]) is { Length: > 0 } r ? r : null;
        adapter.Enqueue(c => session.ReceiveAsync(new ChatInbound(delivery, direct ? channel : adapter.Channels.NameOf(channel), direct, sender, command, postId, root, Addressed: true), c));
        return Results.Json(new JsonObject());
    }

    private static IResult Refuse(MattermostAdapter adapter, HttpContext http, string why)
    {
        adapter.Log.LogWarning("A button click sent to {Path} from {Address} was refused: {Why}; nothing was run", http.Request.Path, http.Connection.RemoteIpAddress, why);
        return Results.StatusCode(StatusCodes.Status403Forbidden);
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;

    [GeneratedRegex("^[0-9a-f]{32}$")]
    private static partial Regex Offer();
}
