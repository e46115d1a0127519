using System.Collections.Concurrent;
using Capstan.Core.Commands;
using Capstan.Core.Conversation;

namespace Capstan.Delivery.Reconciliation;

/// <summary>
/// The one message that follows a deploy request in its thread, edited in place as the change moves
/// (committed → applying → healthy, or failed → rolled back), and the final reply under it.
/// </summary>
public sealed class RequestProgress(Outbox outbox, RoomMessage message, string headline)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<string> _steps = [];
    private RoomMessage _message = message;
    private ReplyTone _tone = ReplyTone.Info;

    public string Room => _message.Room;
    public string? Thread => _message.ThreadId;
    public string MessageId => _message.Id;
    public string Headline => headline;

    /// <summary>Adds a step; <paramref name="first"/> puts it before the others (the commit, which the reconciler may see before the command says so).</summary>
    public async Task StepAsync(string step, ReplyTone tone = ReplyTone.Info, bool first = false)
    {
        await _gate.WaitAsync();
        try
        {
            if (_steps.Count > 0 && _steps[^1] == step) return;
            if (first) _steps.Insert(0, step);
            else { _steps.Add(step); _tone = tone; }
            _message = await outbox.EditAsync(_message, new Reply($"{headline} — {string.Join(" → ", _steps)}", _tone));
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task FinishAsync(Reply reply) => outbox.PostAsync(_message.Room, _message.ThreadId, reply, _message.Id);
}

/// <summary>Maps request ids (the <c>Capstan-Request</c> commit trailer) to the thread that follows them, in memory and on disk.</summary>
public sealed class RequestThreads(Outbox outbox, IDeliveryStore store, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, RequestProgress> _open = new(StringComparer.Ordinal);

    /// <summary>Posts the progress message in the request's thread and remembers it.</summary>
    public async Task<RequestProgress> OpenAsync(string requestId, string room, string thread, string headline, string firstStep, CancellationToken ct)
    {
        var message = await outbox.PostAsync(room, thread, new Reply($"{headline} — {firstStep}"));
        var progress = new RequestProgress(outbox, message, headline);
        _open[requestId] = progress;
        await store.SaveThreadAsync(new RequestThread(requestId, room, thread, message.Id, headline, clock.GetUtcNow()), ct);
        return progress;
    }

    /// <summary>The progress of a request: from memory, or rebuilt from disk after a restart; null when unknown.</summary>
    public async Task<RequestProgress?> FindAsync(string? requestId, CancellationToken ct)
    {
        if (requestId is null) return null;
        if (_open.TryGetValue(requestId, out var p)) return p;
        var t = await store.ThreadAsync(requestId, ct);
        if (t is null) return null;
        var message = new RoomMessage(t.MessageId, t.Room, t.Thread, Outbox.CapstanAuthor, AuthorKind.Capstan, t.Headline, ReplyTone.Info, t.At);
        return _open.GetOrAdd(requestId, new RequestProgress(outbox, message, t.Headline));
    }
}
