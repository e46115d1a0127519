using System.Globalization;
using System.Text;
using Capstan.Core.Json;
using Capstan.Runbooks.Config;

namespace Capstan.Runbooks.Steps;

/// <summary>
/// Runs http steps: follows at most five redirects and only to http(s), reads at most the step's byte limit. Every
/// connection is checked by the egress guard; secrets go only where the runbook binds them, and a redirect to another
/// origin carries no secret, Authorization or Cookie header. A failure is summarised (status, reason, size): the
/// remote body is never quoted back into chat.
/// </summary>
public sealed class HttpProbe(IHttpClientFactory clients)
{
    /// <summary>The named HTTP client of runbook http steps (egress-checked; registered by AddRunbooks).</summary>
    public const string Client = "runbooks.http-step";

    private const int MaxRedirects = 5;

    /// <summary>Headers that carry credentials even when written in the runbook, so never follow a redirect to another origin.</summary>
    private static readonly string[] Credentials = ["Authorization", "Proxy-Authorization", "Cookie"];

    public async Task<Dictionary<string, string>> RunAsync(HttpStep step, Scope scope, CancellationToken ct)
    {
        var text = scope.Resolve(step.Url);
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new StepProblem($"'{text}' is not an http:// or https:// address");
        scope.Reach.CheckDestination(step, step.Url, uri.IdnHost, uri);
        var first = uri;
        var method = new HttpMethod(step.Method);
        var dropped = new List<string>();
        for (var hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(method, uri);
            var home = SameOrigin(uri, first);
            string? contentType = null;
            foreach (var (name, value) in step.Headers)
            {
                if (!home && (value.Secret is not null || Credentials.Contains(name, StringComparer.OrdinalIgnoreCase)))
                {
                    if (!dropped.Contains(name, StringComparer.OrdinalIgnoreCase)) dropped.Add(name);
                    continue;
                }
                if (value.Secret is { } secret) scope.Reach.CheckSecret(step, secret, step.Url, uri);
                var v = scope.Resolve(value);
                if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)) contentType = v;
                else request.Headers.TryAddWithoutValidation(name, v);
            }
            if (step.Body is { } body && method != HttpMethod.Get && method != HttpMethod.Head)
            {
                if (body.Secret is { } secret)
                {
                    if (!home) throw new StepProblem($"{first.Scheme}://{first.Authority} redirected to {uri.Scheme}://{uri.Authority}, another origin; the body carries secret '{secret}', so it was not sent there");
                    scope.Reach.CheckSecret(step, secret, step.Url, uri);
                }
                request.Content = new StringContent(scope.Resolve(body), Encoding.UTF8, contentType ?? "application/json");
            }
            using var response = await SendAsync(request, uri, ct);
            var status = (int)response.StatusCode;
            if (status is 301 or 302 or 303 or 307 or 308 && response.Headers.Location is { } location)
            {
                var next = new Uri(uri, location);
                if (next.Scheme is not ("http" or "https"))
                    throw new StepProblem($"{uri} redirected to {next}; only http and https redirects are followed, so this one was refused");
                if (hop >= MaxRedirects) throw new StepProblem($"more than {MaxRedirects} redirects from {text}; stopped at {next}");
                if (status == 303 || (status is 301 or 302 && method == HttpMethod.Post)) method = HttpMethod.Get;
                uri = next;
                continue;
            }
            var content = await ReadLimitedAsync(response, step.MaxBytes, ct);
            var values = new Dictionary<string, string>
            {
                ["status"] = status.ToString(CultureInfo.InvariantCulture),
                ["body"] = content.Length > 4096 ? content[..4096] : content,
                ["host"] = uri.Host,
                ["port"] = uri.Port.ToString(CultureInfo.InvariantCulture),
                ["url"] = uri.ToString(),
            };
            var size = $"{Bytes(Encoding.UTF8.GetByteCount(content))}" + (response.Content.Headers.ContentType?.MediaType is { } media ? $" of {media}" : "");
            var e = step.Expect;
            if (e.Status is { } want && want != status)
                throw new StepProblem($"{step.Method} {uri} answered {status} {response.ReasonPhrase} ({size}), expected {want}");
            if (e.JsonPath is { } path)
            {
                var found = (JsonPath.Parse(path).Path?.Find(content)) ?? throw new StepProblem($"{path} is not in the response of {uri} ({status} {response.ReasonPhrase}, {size})");
                values["value"] = found;
                if (e.JsonEquals is { } eq && eq != found) throw new StepProblem($"{path} is '{Short(found)}', expected '{eq}'");
            }
            if (e.Contains is { } needle && !content.Contains(needle, StringComparison.Ordinal))
                throw new StepProblem($"the response of {uri} ({status} {response.ReasonPhrase}, {size}) does not contain '{needle}'");
            values["detail"] = $"{status} {response.ReasonPhrase}" + (values.TryGetValue("value", out var jv) ? $", {e.JsonPath} = {Short(jv)}" : "") + $", {content.Length} bytes"
                + (dropped.Count > 0 ? $" (redirected to another origin: {string.Join(", ", dropped)} not sent there)" : "");
            return values;
        }
    }

    /// <summary>Whether two addresses share scheme, host and port: the only place credentials written for one may go.</summary>
    public static bool SameOrigin(Uri a, Uri b) =>
        a.Scheme == b.Scheme && a.Port == b.Port && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase);

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, Uri uri, CancellationToken ct)
    {
        try
        {
            return await clients.CreateClient(Client).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (HttpRequestException ex)
        {
            throw new StepProblem(NetworkProblem.Describe(uri.Host, uri.Port, ex));
        }
    }

    private static async Task<string> ReadLimitedAsync(HttpResponseMessage response, long max, CancellationToken ct)
    {
        if (response.Content.Headers.ContentLength is { } length && length > max)
            throw new StepProblem($"the response is {Bytes(length)}, over this step's limit of {Bytes(max)}; raise maxBytes if that is expected");
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int n;
        while ((n = await stream.ReadAsync(chunk, ct)) > 0)
        {
            buffer.Write(chunk, 0, n);
            if (buffer.Length > max) throw new StepProblem($"the response is larger than this step's limit of {Bytes(max)}; stopped reading. Raise maxBytes if that is expected");
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    public static string Bytes(long n) => n switch
    {
        >= 1L << 30 => $"{n / (double)(1L << 30):0.0} GB",
        >= 1L << 20 => $"{n / (double)(1L << 20):0.0} MB",
        >= 1L << 10 => $"{n / (double)(1L << 10):0.0} KB",
        _ => $"{n} bytes",
    };

    /// <summary>A value from the response, cut short: enough to compare by eye, not a page of someone else's text.</summary>
    private static string Short(string value)
    {
        var t = value.ReplaceLineEndings(" ").Trim();
        return t.Length > 80 ? t[..80] + "…" : t;
    }

}
