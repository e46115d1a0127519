using System.Text.Json;
using System.Threading.Channels;
using Capstan.Core.Conversation;
using Capstan.Core.Ledger;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Capstan.Web.Api;

/// <summary>
/// Server-Sent Events to a browser or terminal, with a keep-alive comment every 15 s. A stream ends when its
/// client goes away or when the server begins to stop (otherwise every open tab would hold a shutdown for
/// the host's whole shutdown timeout).
/// </summary>
public static class EventStream
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Room events the caller may see (<paramref name="visible"/>); each stream is a chat place of its own with the live
    /// edit limit (<see cref="EditLimit.Live"/>).
    /// </summary>
    public static async Task RunAsync(HttpContext http, RoomFeed feed, TimeProvider clock, CancellationToken ct, Func<RoomEvent, bool> visible)
    {
        var queue = Channel.CreateBounded<RoomEvent>(new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropOldest });
        using var subscription = feed.Attach(new StreamPlace(queue.Writer), clock);
        await PumpAsync(http, queue.Reader,
            e => visible(e) ? $"event: {e.Type}\ndata: {JsonSerializer.Serialize(new { type = e.Type, message = MessageView.From(e.Message) }, Ledger.Json)}\n\n" : null, ct);
    }

    /// <summary>
    /// Writes each event <paramref name="render"/> turns into SSE text (null: nothing to send) until the client
    /// disconnects or the server stops.
    /// </summary>
    public static async Task PumpAsync<T>(HttpContext http, ChannelReader<T> events, Func<T, string?> render, CancellationToken requestAborted)
    {
        var stopping = http.RequestServices.GetService<IHostApplicationLifetime>()?.ApplicationStopping ?? CancellationToken.None;
        using var live = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, stopping);
        var ct = live.Token;
        http.Response.Headers.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        try
        {
            await http.Response.WriteAsync(": connected\n\n", ct);
            await http.Response.Body.FlushAsync(ct);
            while (!ct.IsCancellationRequested)
            {
                using var tick = CancellationTokenSource.CreateLinkedTokenSource(ct);
                tick.CancelAfter(KeepAlive);
                try
                {
                    if (render(await events.ReadAsync(tick.Token)) is { } text)
                        await http.Response.WriteAsync(text, ct);
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
