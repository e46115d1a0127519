using System.Threading.Channels;
using Capstan.Web.Api;

namespace Capstan.Cli;

/// <summary>
/// Lets `capstan say` show work that goes on after the first reply: progress edits go to stderr as they
/// happen, and the thread's final message (good or bad news) is printed and decides the exit code.
/// </summary>
public sealed class ThreadFollower(IChatClient client, TimeSpan wait)
{
    private readonly Channel<(string Type, MessageView Message)> _events = Channel.CreateUnbounded<(string, MessageView)>();
    private readonly CancellationTokenSource _stop = new();
    private Task? _listening;

    public async Task StartAsync(CancellationToken ct)
    {
        if (wait <= TimeSpan.Zero || !client.CanFollow) return;
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _stop.Token);
        _listening = client.ListenAsync((t, m) => { _events.Writer.TryWrite((t, m)); return Task.CompletedTask; }, linked.Token, ready);
        await Task.WhenAny(ready.Task, _listening, Task.Delay(TimeSpan.FromSeconds(10), ct));
    }

    public async Task<int> FinishAsync(SayResult result, CancellationToken ct)
    {
        try
        {
            if (!result.Following || result.MessageId is null) return result.ExitCode;
            if (!client.CanFollow)
            {
                Console.Error.WriteLine("(No server is running on this data folder: the change is committed and will be applied when `capstan up` starts.)");
                return result.ExitCode;
            }
            if (_listening is null) return result.ExitCode;
            var shown = result.Replies.Select(r => r.Id).ToHashSet();
            var lastProgress = "";
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(wait);
            try
            {
                while (await _events.Reader.WaitToReadAsync(deadline.Token))
                    while (_events.Reader.TryRead(out var e))
                    {
                        var m = e.Message;
                        if (m.ThreadId != result.MessageId || m.AuthorKind != "capstan" || shown.Contains(m.Id)) continue;
                        if (e.Type == "edited" || m.Tone == "info")
                        {
                            if (m.Text != lastProgress) Console.Error.WriteLine(VisibleText.Of(m.Text));
                            lastProgress = m.Text;
                            continue;
                        }
                        Terminal.Reply(m);
                        return m.Tone == "error" ? 1 : 0;
                    }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                Console.Error.WriteLine($"(Still in progress after {wait.TotalSeconds:0}s; follow it in the thread or with `status`.)");
            }
            return result.ExitCode;
        }
        finally
        {
            await _stop.CancelAsync();
            if (_listening is not null)
            {
                try { await _listening; }
                catch (OperationCanceledException) { }
                catch (HttpRequestException) { }
                catch (IOException) { }
            }
        }
    }
}
