using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Capstan.Chat.Adapters;
using Microsoft.Extensions.Logging;

namespace Capstan.Chat.Mattermost;

/// <summary>Mattermost refused the bot's token (401): the session ends and the host retries with a growing wait.</summary>
public sealed class MattermostTokenRefused(string message) : Exception(message);

/// <summary>
/// Mattermost's REST API v4: JSON with the bot's token in the Authorization header. A <c>429</c> is waited out (its
/// <c>Retry-After</c>, else <c>X-RateLimit-Reset</c>) and the same call sent again, and every call waits behind it, so the
/// room queues keep their order; a <c>401</c> ends the session with a sentence saying what to do; a <c>403</c>/<c>404</c>
/// on a post is a refusal that is not retried.
/// </summary>
public sealed class MattermostApi(HttpClient http, Uri api, Func<string> token, TimeProvider clock, ILogger log)
{
    /// <summary>How long Capstan waits for one answer.</summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The longest rate-limit wait Capstan takes from a header (a larger value is the server's mistake).</summary>
    public static readonly TimeSpan LongestWait = TimeSpan.FromMinutes(2);

    private readonly Lock _gate = new();
    private DateTimeOffset _notBefore = DateTimeOffset.MinValue;

    /// <summary>Calls <paramref name="path"/> (relative to <c>/api/v4/</c>) and returns the answer's JSON.</summary>
    public async Task<JsonNode?> CallAsync(HttpMethod method, string path, JsonNode? body, CancellationToken ct) =>
        (await SendAsync(method, path, body, missingIsNull: false, ct)).Answer;

    /// <summary>Like <see cref="CallAsync"/> but a 404 (no such user, channel) is null instead of a refusal.</summary>
    public async Task<JsonNode?> FindAsync(string path, CancellationToken ct)
    {
        var (answer, found) = await SendAsync(HttpMethod.Get, path, null, missingIsNull: true, ct);
        return found ? answer : null;
    }

    private async Task<(JsonNode? Answer, bool Found)> SendAsync(HttpMethod method, string path, JsonNode? body, bool missingIsNull, CancellationToken ct)
    {
        while (true)
        {
            TimeSpan wait;
            lock (_gate) wait = _notBefore - clock.GetUtcNow();
            if (wait > TimeSpan.Zero) await Task.Delay(wait, clock, ct);
            using var request = new HttpRequestMessage(method, new Uri(api, path));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token());
            if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(CallTimeout);
            using var response = await http.SendAsync(request, timeout.Token);
            var what = $"{method} {path.Split('?')[0]}";
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                var pause = RetryAfter(response);
                lock (_gate) _notBefore = clock.GetUtcNow() + pause;
                log.LogInformation("Mattermost rate-limited {What}; waiting {Seconds} s as it asks, then sending the same call again", what, pause.TotalSeconds);
                continue;
            }
            var text = await response.Content.ReadAsStringAsync(ct);
            if (response.StatusCode == HttpStatusCode.Unauthorized)
                throw new MattermostTokenRefused($"Mattermost refused the bot's token for {what} (401 {Problem(text)}): the token expired or was revoked; make a new access token for the bot account (System Console > Integrations > Bot Accounts) and put it in the secret store under the name platforms.mattermost.token gives. Capstan keeps retrying with a growing wait");
            if (response.StatusCode == HttpStatusCode.NotFound && missingIsNull) return (null, false);
            if (response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.NotFound or HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge)
                throw new ChatDeliveryRefused($"Mattermost refused {what} ({(int)response.StatusCode} {Problem(text)}); check that the bot is a member of the channel");
            if (!response.IsSuccessStatusCode)
                throw new HttpRequestException($"Mattermost answered {what} with HTTP {(int)response.StatusCode}; it is tried again later", null, response.StatusCode);
            return (text.Length == 0 ? null : JsonNode.Parse(text), true);
        }
    }

    /// <summary>Mattermost's error answer's message (<c>{"id":…,"message":…}</c>), for the status line.</summary>
    private static string Problem(string text)
    {
        try { return (JsonNode.Parse(text) as JsonObject)?["message"]?.GetValue<string>() ?? ""; }
        catch (System.Text.Json.JsonException) { return ""; }
    }

    /// <summary>Retry-After (seconds), else X-RateLimit-Reset (seconds until the limit resets, as Mattermost's limiter sends), else one second.</summary>
    internal static TimeSpan RetryAfter(HttpResponseMessage response)
    {
        double? seconds = response.Headers.RetryAfter?.Delta?.TotalSeconds;
        if (seconds is null && response.Headers.TryGetValues("X-RateLimit-Reset", out var values)
            && double.TryParse(values.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var reset))
            seconds = reset;
        var wait = TimeSpan.FromSeconds(Math.Max(seconds ?? 1, 0.05));
        return wait > LongestWait ? LongestWait : wait;
    }
}
