using System.Data.Common;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Capstan.Core.Egress;
using Capstan.Core.Ledger;
using Capstan.Core.Sql;
using Capstan.Indicators.Config;

namespace Capstan.Indicators.Custom;

/// <summary>A value read from an indicator's source, or why it could not be read.</summary>
public sealed record Reading(double? Value, string? Problem, DateTimeOffset At);

/// <summary>
/// Reads a custom indicator's current value (and, for Prometheus, its history over a period) within the
/// indicator's timeout. SQL runs in a read-only transaction that is rolled back (query_only for SQLite,
/// READ ONLY for PostgreSQL); <c>${env:NAME}</c> in a connection, url or header is taken from the server's
/// environment and never shown. Every connection (HTTP, Prometheus, PostgreSQL) reaches only what the egress rules
/// allow; HTTP follows no redirect, so headers written for one host never reach another.
/// </summary>
public sealed partial class IndicatorReader(EgressGuard egress, IHttpClientFactory clients, Redactor redactor, TimeProvider clock)
{
    /// <summary>The named HTTP client of http and Prometheus sources (egress-checked; registered by AddIndicators).</summary>
    public const string Client = "indicators.sources";

    private HttpClient http => clients.CreateClient(Client);

    [GeneratedRegex(@"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")]
    private static partial Regex EnvReference();

    public async Task<Reading> ReadAsync(CustomIndicator indicator, CancellationToken ct)
    {
        var at = clock.GetUtcNow();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(indicator.Timeout);
        try
        {
            var value = indicator.Source switch
            {
                SqlSource s => await SqlAsync(s, indicator.Timeout, timeout.Token),
                HttpJsonSource h => await HttpAsync(h, timeout.Token),
                PrometheusSource p => await PrometheusInstantAsync(p, at, timeout.Token),
                _ => throw new ReadProblem("this source kind is not known"),
            };
            return new Reading(value, null, at);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new Reading(null, $"{indicator.Name} did not answer within {Numbers.Duration(indicator.Timeout)} (timeout: in {indicator.File}); check that its {indicator.Source.Kind} source is up, or raise the timeout", at);
        }
        catch (ReadProblem ex)
        {
            return new Reading(null, redactor.Redact($"{indicator.Name} could not be read: {ex.Message} ({indicator.File})"), at);
        }
    }

    /// <summary>Prometheus' own history of the query over a period (query_range), so the trend needs no stored readings.</summary>
    public async Task<(IReadOnlyList<(DateTimeOffset At, double Value)> Points, string? Problem)> RangeAsync(PrometheusSource p, CustomIndicator indicator, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(indicator.Timeout);
        var step = Math.Max(60, (int)((to - from).TotalSeconds / 200));
        var url = $"{Resolve(p.Url)}/api/v1/query_range?query={Uri.EscapeDataString(p.Query)}&start={from.ToUnixTimeSeconds()}&end={to.ToUnixTimeSeconds()}&step={step}";
        try
        {
            var data = await PrometheusAsync(url, timeout.Token);
            var result = data.GetProperty("result");
            if (result.GetArrayLength() == 0) return ([], null);
            var points = new List<(DateTimeOffset, double)>();
            foreach (var v in result[0].GetProperty("values").EnumerateArray())
                if (double.TryParse(v[1].GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
                    points.Add((DateTimeOffset.FromUnixTimeMilliseconds((long)(v[0].GetDouble() * 1000)), d));
            return (points, null);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return ([], $"Prometheus did not answer the range query within {Numbers.Duration(indicator.Timeout)}");
        }
        catch (Exception ex) when (ex is ReadProblem or KeyNotFoundException or InvalidOperationException)
        {
            return ([], redactor.Redact(ex.Message));
        }
    }

    private string Resolve(string text) => EnvReference().Replace(text, m =>
    {
        var value = Environment.GetEnvironmentVariable(m.Groups[1].Value)
            ?? throw new ReadProblem($"the environment variable {m.Groups[1].Value} is not set on the Capstan server");
        redactor.Add([value]);
        return value;
    });

    private async Task<double> SqlAsync(SqlSource s, TimeSpan timeout, CancellationToken ct)
    {
        var request = new ReadOnlyQuery.Request(s.Driver == "postgres" ? SqlEngine.Postgres : SqlEngine.Sqlite, Resolve(s.Connection), s.Query, timeout, "capstan-indicator");
        try { return await ReadOnlyQuery.RunAsync(request, egress, FirstAsync, ct); }
        catch (QueryProblem ex) { throw new ReadProblem(ex.Message); }
    }

    private static async Task<double> FirstAsync(DbCommand cmd, CancellationToken ct)
    {
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) throw new ReadProblem("the query returned no rows; it must return the value in the first column of the first row");
        if (reader.IsDBNull(0)) throw new ReadProblem("the query returned null");
        var raw = reader.GetValue(0);
        return raw switch
        {
            double d => d,
            float f => f,
            decimal m => (double)m,
            long l => l,
            int i => i,
            short sh => sh,
            string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var p) => p,
            _ => throw new ReadProblem($"the first column is {raw.GetType().Name} '{raw}', not a number"),
        };
    }

    private async Task<double> HttpAsync(HttpJsonSource h, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Resolve(h.Url));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        foreach (var (k, v) in h.Headers) request.Headers.TryAddWithoutValidation(k, Resolve(v));
        HttpResponseMessage response;
        try { response = await http.SendAsync(request, ct); }
        catch (HttpRequestException ex) { throw new ReadProblem(EgressGuard.Refusal(ex)?.Message ?? $"GET {h.Url} failed: {ex.Message}"); }
        using (response)
        {
            if (!response.IsSuccessStatusCode) throw new ReadProblem($"GET {h.Url} answered {(int)response.StatusCode} {response.ReasonPhrase}");
            JsonDocument doc;
            try { doc = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct), cancellationToken: ct); }
            catch (JsonException ex) { throw new ReadProblem($"GET {h.Url} did not return JSON ({ex.Message})"); }
            using (doc)
            {
                var (value, problem) = h.Path.Read(doc.RootElement);
                return value ?? throw new ReadProblem(problem!);
            }
        }
    }

    private async Task<double> PrometheusInstantAsync(PrometheusSource p, DateTimeOffset at, CancellationToken ct)
    {
        var data = await PrometheusAsync($"{Resolve(p.Url)}/api/v1/query?query={Uri.EscapeDataString(p.Query)}&time={at.ToUnixTimeSeconds()}", ct);
        var type = data.GetProperty("resultType").GetString();
        var result = data.GetProperty("result");
        JsonElement pair;
        if (type == "vector")
        {
            if (result.GetArrayLength() == 0) throw new ReadProblem($"the query '{p.Query}' returned no series");
            if (result.GetArrayLength() > 1) throw new ReadProblem($"the query '{p.Query}' returned {result.GetArrayLength()} series; aggregate it (for example with sum(...)) to one value");
            pair = result[0].GetProperty("value");
        }
        else if (type == "scalar") pair = result;
        else throw new ReadProblem($"the query '{p.Query}' returned a {type}; ask for an instant vector or scalar");
        return double.TryParse(pair[1].GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw new ReadProblem($"Prometheus returned '{pair[1]}', not a number");
    }

    private async Task<JsonElement> PrometheusAsync(string url, CancellationToken ct)
    {
        HttpResponseMessage response;
        try { response = await http.GetAsync(url, ct); }
        catch (HttpRequestException ex) { throw new ReadProblem(EgressGuard.Refusal(ex)?.Message ?? $"Prometheus cannot be reached: {ex.Message}"); }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            JsonElement root;
            try { root = JsonDocument.Parse(text).RootElement.Clone(); }
            catch (JsonException) { throw new ReadProblem($"Prometheus answered {(int)response.StatusCode} without JSON"); }
            if (root.TryGetProperty("status", out var st) && st.GetString() == "error")
                throw new ReadProblem($"Prometheus refused the query: {Clipped(root.TryGetProperty("error", out var e) ? e.GetString() : "error")} ({Clipped(root.TryGetProperty("errorType", out var et) ? et.GetString() : "")})");
            if (!response.IsSuccessStatusCode) throw new ReadProblem($"Prometheus answered {(int)response.StatusCode} {response.ReasonPhrase}");
            return root.GetProperty("data");
        }
    }

    /// <summary>Remote text in an error, cut short: Prometheus' own error is useful, a page of someone else's text is not.</summary>
    private static string Clipped(string? text)
    {
        var t = (text ?? "").ReplaceLineEndings(" ").Trim();
        return t.Length > 200 ? t[..200] + "…" : t;
    }

    private sealed class ReadProblem(string message) : Exception(message);
}
