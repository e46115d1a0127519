using System.Text.Json;
using System.Threading.Channels;

namespace Capstan.Core.Ledger;

/// <summary>
/// The append-only, hash-chained record of everything said and done. Appends from many callers are
/// group-committed: each caller's task completes only once its entry is durable, and one disk sync
/// covers every entry that arrived while the previous one was being written.
/// </summary>
public sealed class Ledger : IAsyncDisposable
{
    private readonly ILedgerStore _store;
    private readonly TimeProvider _clock;
    private readonly Redactor _redactor;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    private Ledger(ILedgerStore store, TimeProvider clock, Redactor redactor)
    {
        _store = store;
        _clock = clock;
        _redactor = redactor;
        _writer = Task.Run(WriteLoopAsync);
    }

    public static async Task<Ledger> OpenAsync(ILedgerStore store, TimeProvider clock, Redactor redactor, CancellationToken ct)
    {
        await store.TailAsync(ct); // fails early when the store cannot be read
        return new Ledger(store, clock, redactor);
    }

    public ILedgerStore Store => _store;

    /// <summary>Raised (on the writer thread) after entries are durable, in sequence order.</summary>
    public event Action<LedgerEntry>? Appended;

    /// <summary>Appends an entry; the task completes when it is durable on disk.</summary>
    public Task<LedgerEntry> AppendAsync(LedgerDraft draft)
    {
        var pending = new Pending(draft, new TaskCompletionSource<LedgerEntry>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
            pending.Done.SetException(new ObjectDisposedException(nameof(Ledger), "The ledger is closed; Capstan is shutting down."));
        return pending.Done.Task;
    }

    public Task<LedgerEntry> AppendAsync(string kind, string actor, string? room, string? thread, object? data) =>
        AppendAsync(new LedgerDraft(kind, actor, room, thread, data));

    public Task<IReadOnlyList<LedgerEntry>> QueryAsync(LedgerQuery query, CancellationToken ct) => _store.QueryAsync(query, ct);

    /// <summary>Walks the whole chain and names the first entry that was altered, removed or reordered.</summary>
    public static async Task<LedgerVerification> VerifyAsync(ILedgerStore store, CancellationToken ct)
    {
        var prev = LedgerEntry.Genesis;
        long expected = 1, count = 0;
        await foreach (var e in store.ReadAllAsync(ct))
        {
            if (e.Seq != expected)
                return new(count, expected, $"entry {expected} is missing (next entry found is {e.Seq})");
            if (e.PrevHash != prev)
                return new(count, e.Seq, $"entry {e.Seq} does not follow entry {e.Seq - 1} (its previous-hash does not match)");
            var hash = LedgerEntry.ComputeHash(e.PrevHash, e.Seq, e.At, e.Kind, e.Actor, e.Room, e.Thread, e.Data);
            if (hash != e.Hash)
                return new(count, e.Seq, $"entry {e.Seq} was altered (its content does not match its hash)");
            prev = e.Hash;
            expected++;
            count++;
        }
        return new(count, null, null);
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(256);
        var unsealed = new List<UnsealedEntry>(256);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            unsealed.Clear();
            while (batch.Count < 1024 && _queue.Reader.TryRead(out var p)) batch.Add(p);
            foreach (var p in batch)
            {
                var d = p.Draft;
                var data = d.Data switch
                {
                    null => "{}",
                    string s => s,
                    _ => JsonSerializer.Serialize(d.Data, d.Data.GetType(), Json),
                };
                var at = _clock.GetUtcNow();
                at = new DateTimeOffset(at.UtcTicks - at.UtcTicks % TimeSpan.TicksPerMicrosecond, TimeSpan.Zero);
                unsealed.Add(new UnsealedEntry(at, d.Kind, d.Actor, d.Room, d.Thread, _redactor.Redact(data)));
            }
            try
            {
                var entries = await _store.AppendAsync(unsealed, CancellationToken.None);
                for (var i = 0; i < batch.Count; i++) batch[i].Done.SetResult(entries[i]);
                var appended = Appended;
                if (appended is not null)
                    foreach (var e in entries)
                    {
                        try { appended(e); }
                        catch (Exception) { /* a failing observer must not stop the ledger */ }
                    }
            }
            catch (Exception ex)
            {
                foreach (var p in batch) p.Done.SetException(new IOException($"The ledger could not record this ({ex.Message}); nothing was done.", ex));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer;
    }

    private sealed record Pending(LedgerDraft Draft, TaskCompletionSource<LedgerEntry> Done);
}
