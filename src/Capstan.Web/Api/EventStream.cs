using System.Text.Json;
using System.Threading.Channels;
using Capstan.Core.Conversation;
using Capstan.Core.Ledger;
using Microsoft.AspNetCore.Http;

namespace Capstan.Web.Api;

/// <summary>
/// Room events to a browser or terminal as Server-Sent Events, with a keep-alive comment every 15 s. Each
/// stream is a chat place of its own with the live edit limit (<see cref="EditLimit.Live"/>).
/// </summary>
public static class EventStream
{
    /// <summary>Other modules (the delivery board) publish page updates through this.</summary>
    public static async Task RunAsync(HttpContext http, RoomFeed feed, TimeProvider clock, CancellationToken ct)
    {
        http.Response.Headers.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        var queue = Channel.CreateBounded<RoomEvent>(new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropOldest });
        using var subscription = feed.Attach(new StreamPlace(queue.Writer), clock);
        await http.Response.WriteAsync(": connected\n\n", ct);
        await http.Response.Body.FlushAsync(ct);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                using var tick = CancellationTokenSource.CreateLinkedTokenSource(ct);
                tick.CancelAfter(TimeSpan.FromSeconds(15));
                try
                {
                    var e = await queue.Reader.ReadAsync(tick.Token);
                    var json = JsonSerializer.Serialize(new { type = e.Type, message = MessageView.From(e.Message) }, Ledger.Json);
                    await http.Response.WriteAsync($"event: {e.Type}\ndata: {json}\n\n", ct);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    await http.Response.WriteAsync(": keep-alive\n\n", ct);
                }
                await http.Response.Body.FlushAsync(ct);
            }
        }
        catch (OperationCanceledException) { }
        catch (IOException) { }
    }
}

/// <summary>One browser tab or terminal on the event stream, as a chat place.</summary>
internal sealed class StreamPlace(ChannelWriter<RoomEvent> queue) : IChatPlace
{
    public string Name => "web";
    public EditLimit Edits => EditLimit.Live;

    public ValueTask DeliverAsync(RoomEvent e)
    {
        queue.TryWrite(e);
        return ValueTask.CompletedTask;
    }
}
