using System.CommandLine;
using Capstan.Core;
using Capstan.Web.Api;

namespace Capstan.Cli;

/// <summary>`capstan say` (one message, scriptable) and `capstan chat` (interactive).</summary>
public static class ChatVerbs
{
    public static Command Say()
    {
        var text = new Argument<string>("text") { Description = "The message, e.g. \"deploy demo 1.1.0 to staging\"" };
        var room = new Option<string>("--room", "-r") { Description = "Room to speak in", DefaultValueFactory = _ => "ops" };
        var thread = new Option<string?>("--thread") { Description = "Reply in this thread (a message id)" };
        var wait = new Option<int>("--wait") { Description = "Seconds to follow work that goes on after the reply (a deploy: committed → applying → healthy); 0 to return at once", DefaultValueFactory = _ => 300 };
        var chat = new Option<bool>("--chat") { Description = "Post as plain chat: only a known command word gets an answer (default: the text is a command for Capstan)" };
        var cmd = new Command("say", "Send one message as a person and print Capstan's replies. Exit code: 0 succeeded, 1 refused or failed, 2 not understood or bad usage.")
        {
            text, room, thread, chat, wait, Options.Data, Options.As, Options.Server, Options.Token,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            if (RoomName(parse.GetValue(room)) is not { } name) return 2;
            await using var client = await ChatClients.ConnectAsync(parse.GetValue(Options.Server), parse.GetValue(Options.Token), DataFolder.At(parse.GetValue(Options.Data)!), parse.GetValue(Options.As), ct);
            var follow = new ThreadFollower(client, TimeSpan.FromSeconds(Math.Max(0, parse.GetValue(wait))));
            await follow.StartAsync(ct);
            var result = await client.SendAsync(name, parse.GetValue(text)!, parse.GetValue(thread), ct, addressed: !parse.GetValue(chat));
            if (result.Error is not null) Terminal.Error(result.Error);
            foreach (var r in result.Replies) Terminal.Reply(r);
            return await follow.FinishAsync(result, ct);
        });
        return cmd;
    }

    /// <summary>A room as typed (with or without '#'), or null after saying what is wrong.</summary>
    private static string? RoomName(string? typed)
    {
        var name = typed?.Trim().TrimStart('#').Trim();
        if (!string.IsNullOrEmpty(name)) return name;
        Terminal.Error("A room needs a name, for example `--room ops` (or `/room ops` in a chat).");
        return null;
    }

    public static Command Chat()
    {
        var room = new Option<string>("--room", "-r") { Description = "Room to join", DefaultValueFactory = _ => "ops" };
        var cmd = new Command("chat", "Interactive terminal chat: shows the room's recent history and live messages; type commands or talk. /room NAME switches rooms, /quit leaves.")
        {
            room, Options.Data, Options.As, Options.Server, Options.Token,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            if (RoomName(parse.GetValue(room)) is not { } current) return 2;
            await using var client = await ChatClients.ConnectAsync(parse.GetValue(Options.Server), parse.GetValue(Options.Token), DataFolder.At(parse.GetValue(Options.Data)!), parse.GetValue(Options.As), ct);
            Console.Out.WriteLine($"Connected to {client.Describe}, room #{current}. /room NAME to switch, /quit to leave.");
            foreach (var m in await client.RecentAsync(current, 20, ct)) Terminal.Line(m);
            var mine = new HashSet<string>();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var listening = client.ListenAsync((type, m) =>
            {
                if (m.Room == current && type == "posted" && !mine.Contains(m.Id)) Terminal.Line(m);
                return Task.CompletedTask;
            }, stop.Token);
            var exit = 0;
            while (await Console.In.ReadLineAsync(ct) is { } line)
            {
                if (line.Trim() is "/quit" or "/exit") break;
                if (line.Trim() == "/room" || line.StartsWith("/room ", StringComparison.Ordinal))
                {
                    if (RoomName(line[5..]) is not { } next) continue;
                    current = next;
                    try { foreach (var m in await client.RecentAsync(current, 20, ct)) Terminal.Line(m); }
                    catch (InvalidOperationException ex) { Terminal.Error(ex.Message); }
                    continue;
                }
                if (string.IsNullOrWhiteSpace(line)) continue;
                var result = await client.SendAsync(current, line, null, ct);
                if (result.Error is not null) Terminal.Error(result.Error);
                if (result.MessageId is not null) mine.Add(result.MessageId);
                foreach (var r in result.Replies) { mine.Add(r.Id); Terminal.Reply(r); }
                exit = result.ExitCode;
            }
            await stop.CancelAsync();
            try { await listening; } catch (OperationCanceledException) { } catch (HttpRequestException) { }
            return exit;
        });
        return cmd;
    }
}

/// <summary>Options shared by several verbs.</summary>
public static class Options
{
    public static readonly Option<string> Data = new("--data", "-d") { Description = "Data folder", DefaultValueFactory = _ => "capstan-data" };
    public static readonly Option<string?> As = new("--as") { Description = "Person to speak as (with --data: uses the data folder's local admin token)" };
    public static readonly Option<string?> Server = new("--server") { Description = "URL of a remote Capstan server" };
    public static readonly Option<string?> Token = new("--token") { Description = "API token for --server (or CAPSTAN_TOKEN)", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CAPSTAN_TOKEN") };
    public static readonly Option<string> Person = new("--person", "-p") { Description = "The person", Required = true };
}
