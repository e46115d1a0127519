using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Capstan.Chat.Adapters;
using Microsoft.Extensions.Logging;

namespace Capstan.Chat.Matrix;

/// <summary>
/// Calls to one homeserver's client-server API (<c>/_matrix/client/v3/…</c>) with Capstan's access token. Only the
/// configured homeserver is ever called; ids in paths are escaped. A 429 <c>M_LIMIT_EXCEEDED</c> waits the time the
/// homeserver asks for and sends the same request again (same transaction id), so the caller's order holds.
/// </summary>
internal sealed class MatrixClient(HttpClient http, MatrixSettings settings, string token, TimeProvider clock, ILogger log)
{
    /// <summary>The longest a rate limit is waited out before the request is tried again anyway.</summary>
    private static readonly TimeSpan LongestLimit = TimeSpan.FromMinutes(5);

    private readonly string _base = settings.Homeserver.ToString().TrimEnd('/') + "/_matrix/client/v3/";

    public static string Escape(string id) => Uri.EscapeDataString(id);

    public Task<JsonObject> GetAsync(string path, CancellationToken ct, TimeSpan? timeout = null) => SendAsync(HttpMethod.Get, path, null, ct, timeout);
    public Task<JsonObject> PostAsync(string path, JsonNode body, CancellationToken ct) => SendAsync(HttpMethod.Post, path, body, ct);
    public Task<JsonObject> PutAsync(string path, JsonNode body, CancellationToken ct) => SendAsync(HttpMethod.Put, path, body, ct);

    public async Task<JsonObject> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken ct, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(60);
        while (true)
        {
            using var request = new HttpRequestMessage(method, _base + path);
            request.Headers.Authorization = new("Bearer", token);
            if (body is not null) request.Content = new StringContent(MatrixContent.Json(body), Encoding.UTF8, "application/json");
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(limit);
            HttpResponseMessage response;
            string text;
            try
            {
                response = await http.SendAsync(request, deadline.Token);
                text = await response.Content.ReadAsStringAsync(deadline.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"The Matrix homeserver {settings.Homeserver.Host} did not answer {method} {Path(path)} within {limit.TotalSeconds:0} s.");
            }
            using (response)
            {
                if (response.IsSuccessStatusCode) return Parse(text) ?? [];
                var (code, error, retryMs) = ReadError(text);
                if (response.StatusCode == HttpStatusCode.TooManyRequests || code == "M_LIMIT_EXCEEDED")
                {
                    var wait = retryMs is { } ms ? TimeSpan.FromMilliseconds(ms) : response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                    if (wait > LongestLimit) wait = LongestLimit;
                    log.LogInformation("The Matrix homeserver is rate limiting Capstan ({Call}); waiting {Wait} before sending it again", Path(path), wait);
                    await Task.Delay(wait, clock, ct);
                    continue;
                }
                if (code is "M_UNKNOWN_TOKEN" or "M_MISSING_TOKEN" || response.StatusCode == HttpStatusCode.Unauthorized)
                    throw new MatrixTokenRefused($"The Matrix homeserver {settings.Homeserver.Host} refused Capstan's access token ({code ?? "401"}: it expired or was logged out). " +
                        $"Make a new access token for {settings.User} and put it in the secret '{settings.Token.Name}'; Capstan keeps trying with backoff.");
                var what = $"The Matrix homeserver answered {(int)response.StatusCode} {code} to {method} {Path(path)}: {error}";
                // Refusals of this request (no such room, not allowed, too large) will not change by trying again.
                if ((int)response.StatusCode is >= 400 and < 500) throw new ChatDeliveryRefused(what);
                throw new HttpRequestException(what, null, response.StatusCode);
            }
        }
    }

    /// <summary>The path without its query (the query may hold a sync token; the path never holds the access token).</summary>
    private static string Path(string path) => path.Split('?')[0];

    private static JsonObject? Parse(string text)
    {
        try { return JsonNode.Parse(text) as JsonObject; }
        catch (JsonException) { return null; }
    }

    private static (string? Code, string? Error, long? RetryMs) ReadError(string text)
    {
        var o = Parse(text);
        var retry = o?["retry_after_ms"] is JsonValue v && v.TryGetValue<long>(out var ms) ? ms : (long?)null;
        return (Str(o, "errcode"), Str(o, "error"), retry);
    }

    public static string? Str(JsonNode? node, string key) =>
        node is JsonObject o && o[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}

/// <summary>The homeserver refused the access token: the session ends and the host reconnects with backoff.</summary>
public sealed class MatrixTokenRefused(string message) : Exception(message);
