using System.CommandLine;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Capstan.Chat.Adapters;
using Capstan.Core;
using Capstan.Web.Api;

namespace Capstan.Cli;

/// <summary>`capstan adapters`: each chat platform adapter of the running server (state, last error, reconnects, counts).</summary>
public static class AdaptersVerb
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public static Command Create()
    {
        var cmd = new Command("adapters", "Show each chat platform adapter of the running server: state, since when, last error, reconnects and counts. Exit 1 when no server runs.")
        {
            Options.Data, Options.As, Options.Server, Options.Token,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            var server = parse.GetValue(Options.Server);
            var token = parse.GetValue(Options.Token);
            var actAs = parse.GetValue(Options.As);
            var data = DataFolder.At(parse.GetValue(Options.Data)!);
            if (server is null)
            {
                // Adapters live in the server process: without one there is nothing to ask, and saying "none" would mislead.
                if (ServerRecord.Read(data) is not { } running || !File.Exists(data.AdminTokenFile))
                {
                    Console.Out.WriteLine(AdapterReport.NoServer.Replace("`capstan up`", $"`capstan up --data {data.Root}`", StringComparison.Ordinal));
                    return 1;
                }
                if (actAs is null) throw new UsageException("--as PERSON is required with --data (say who is asking, e.g. --as alice).");
                server = running.Url;
                token = (await File.ReadAllTextAsync(data.AdminTokenFile, ct)).Trim();
            }
            else if (token is null) throw new UsageException("--server needs --token TOKEN (create one in the web UI or with `capstan token create`).");
            using var http = new HttpClient { BaseAddress = new Uri(server.TrimEnd('/') + "/") };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            if (actAs is not null) http.DefaultRequestHeaders.Add(Caller.ActAsHeader, actAs);
            using var res = await http.GetAsync("api/adapters", ct);
            var body = await res.Content.ReadAsStringAsync(ct);
            JsonElement answer;
            try { answer = JsonSerializer.Deserialize<JsonElement>(body, Json); }
            catch (JsonException) { throw new CommandFailedException($"{server} answered {(int)res.StatusCode} {res.ReasonPhrase}, not a Capstan answer; check the address."); }
            if (answer.TryGetProperty("error", out var error)) throw new CommandFailedException(error.GetString() ?? "The server refused.");
            Console.Out.WriteLine(VisibleText.Of(answer.GetProperty("message").GetString() ?? ""));
            var statuses = answer.GetProperty("adapters").Deserialize<List<AdapterStatus>>(Json) ?? [];
            // Errors come from remote servers: shown, never obeyed (no escape sequences reach the terminal).
            if (statuses.Count > 0) Console.Out.WriteLine(VisibleText.Of(AdapterReport.Table(statuses, Composition.Clock.GetUtcNow()).ToText()));
            return 0;
        });
        return cmd;
    }
}
