using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Capstan.Core.Ledger;

/// <summary>
/// The append-only, hash-chained record of everything said and done. Appends from many callers are
/// group-committed: each caller's task completes only once its entry is durable, and one disk sync
/// covers every entry that arrived while the previous one was being written. The writing is done by one
/// thread of its own (the store's work is synchronous disk work), so the thread pool never blocks on a sync.
/// </summary>
public sealed class Ledger : IAsyncDisposable
{
    private readonly ILedgerStore _store;
    private readonly TimeProvider _clock;
    private readonly Redactor _redactor;
    private readonly ILogger _log;
    private readonly object _gate = new();
    private List<Pending> _incoming = new(256);
    private List<Pending> _spare = new(256);
    private bool _closed;
    private readonly Thread _writer;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private static readonly AsyncLocal<LedgerBatch?> CurrentBatch = new();

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    /// <summary>
    /// How an entry's data is written: as <see cref="Json"/>, without the properties that are null (readers treat a
    /// missing property as null; the empty fields of every chat message, command and reply were a tenth of the ledger).
    /// </summary>
    private static readonly JsonSerializerOptions StoredJson = new(Json) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    private Ledger(ILedgerStore store, TimeProvider clock, Redactor redactor, ILogger? log)
    {
        _log = log ?? NullLogger<Ledger>.Instance;
        _store = store;
        _clock = clock;
        _redactor = redactor;
        _writer = new Thread(WriteLoop) { IsBackground = true, Name = "Capstan ledger writer" };
        _writer.UnsafeStart(); // the writer carries no caller's context (no batch, no culture, no activity)
    }

    public static async Task<Ledger> OpenAsync(ILedgerStore store, TimeProvider clock, Redactor redactor, CancellationToken ct, ILogger<Ledger>? log = null)
    {
        await store.TailAsync(ct); // fails early when the store cannot be read
        return new Ledger(store, clock, redactor, log);
    }

    public ILedgerStore Store => _store;

    /// <summary>Raised (on the writer thread) after entries are durable, in sequence order.</summary>
    public event Action<LedgerEntry>? Appended;

    /// <summary>Appends an entry; the task completes when it is durable on disk.</summary>
    public Task<LedgerEntry> AppendAsync(LedgerDraft draft)
    {
        // Held entries of this flow's batch come first: what a command records while it runs follows its message.
        CurrentBatch.Value?.Release();
        var pending = Prepare(draft);
        Enqueue([pending]);
        return pending.Done.Task;
    }

    public Task<LedgerEntry> AppendAsync(string kind, string actor, string? room, string? thread, object? data) =>
        AppendAsync(new LedgerDraft(kind, actor, room, thread, data));

    /// <summary>Appends through <paramref name="batch"/> when there is one (written with the rest of it), at once otherwise.</summary>
    public Task<LedgerEntry> AppendAsync(LedgerBatch? batch, string kind, string actor, string? room, string? thread, object? data) =>
        batch is null ? AppendAsync(kind, actor, room, thread, data) : batch.AppendAsync(kind, actor, room, thread, data);

    /// <summary>
    /// Holds this flow's next entries (appended through the batch) until <see cref="LedgerBatch.Release"/>, then writes
    /// them together, so a message, its command, the decision and the reply cost one disk sync. Any other append from
    /// the same flow releases the batch first, so the ledger's order is the order things happened in.
    /// </summary>
    public LedgerBatch Batch()
    {
        var batch = new LedgerBatch(this);
        CurrentBatch.Value = batch;
        return batch;
    }

    /// <summary>Work started later on the flow that held <paramref name="batch"/> (jobs, timers) does not carry it along.</summary>
    internal static void Forget(LedgerBatch batch)
    {
        if (CurrentBatch.Value == batch) CurrentBatch.Value = null;
    }

    internal void Enqueue(IReadOnlyList<Pending> pending)
    {
        lock (_gate)
        {
            if (!_closed)
            {
                _incoming.AddRange(pending);
                if (_incoming.Count == pending.Count) Monitor.Pulse(_gate);
                return;
            }
        }
        foreach (var p in pending) p.Done.TrySetException(new ObjectDisposedException(nameof(Ledger), "The ledger is closed; Capstan is shutting down."));
    }

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

    private void WriteLoop()
    {
        var unsealed = new List<UnsealedEntry>(256);
        try
        {
            while (true)
            {
                List<Pending> batch;
                lock (_gate)
                {
                    while (_incoming.Count == 0 && !_closed) Monitor.Wait(_gate);
                    if (_incoming.Count == 0) return;
                    batch = _incoming;
                    _incoming = _spare;
                }
                Write(batch, unsealed);
                batch.Clear();
                if (batch.Capacity > 4 * MaxPerCommit) batch = new List<Pending>(256); // a burst does not keep its memory
                lock (_gate) _spare = batch;
            }
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    /// <summary>The most entries one transaction takes; a bigger backlog is written in several.</summary>
    private const int MaxPerCommit = 1024;

    private void Write(List<Pending> queued, List<UnsealedEntry> unsealed)
    {
        if (queued.Count <= MaxPerCommit)
        {
            Commit(queued, unsealed);
            return;
        }
        for (var i = 0; i < queued.Count; i += MaxPerCommit)
            Commit(queued.GetRange(i, Math.Min(MaxPerCommit, queued.Count - i)), unsealed);
    }

    private void Commit(List<Pending> batch, List<UnsealedEntry> unsealed)
    {
        unsealed.Clear();
        var now = _clock.GetUtcNow();
        var at = new DateTimeOffset(now.UtcTicks - now.UtcTicks % TimeSpan.TicksPerMicrosecond, TimeSpan.Zero);
        foreach (var p in batch)
        {
            var d = p.Draft;
            unsealed.Add(new UnsealedEntry(at, d.Kind, d.Actor, d.Room, d.Thread, p.Data));
        }
        try
        {
            // The store's work is disk work: this thread exists to wait for it.
            var entries = _store.AppendAsync(unsealed, CancellationToken.None).GetAwaiter().GetResult();
            for (var i = 0; i < batch.Count; i++) batch[i].Done.SetResult(entries[i]);
            var appended = Appended;
            if (appended is not null)
                foreach (var e in entries)
                {
                    try { appended(e); }
                    catch (Exception ex) { _log.LogWarning(ex, "An observer of ledger entry {Seq} ({Kind}) failed; the ledger goes on", e.Seq, e.Kind); } // a failing observer must not stop the ledger
                }
        }
        catch (Exception ex)
        {
            // Callers that do not wait for their entry would never hear of it: the log does.
            _log.LogError(ex, "The ledger could not record {Count} entries ({Kinds})", batch.Count, string.Join(", ", batch.Select(p => p.Draft.Kind).Distinct()));
            foreach (var p in batch) p.Done.TrySetException(new IOException($"The ledger could not record this ({ex.Message}); nothing was done.", ex));
        }
    }

    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            _closed = true;
            Monitor.Pulse(_gate);
        }
        await _stopped.Task;
    }

    /// <summary>
    /// An entry on its way to the writer. Its data is serialised and redacted by the caller, on the caller's thread, so
    /// the one writer thread only chains and stores.
    /// </summary>
    internal sealed class Pending(LedgerDraft draft, string data)
    {
        public LedgerDraft Draft { get; } = draft;
        public string Data { get; } = data;
        public TaskCompletionSource<LedgerEntry> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    internal Pending Prepare(LedgerDraft d) => new(d, _redactor.Redact(d.Data switch
    {
        null => "{}",
        string s => s,
        _ => JsonSerializer.Serialize(d.Data, d.Data.GetType(), StoredJson),
    }));
}

/// <summary>
/// Entries that are written to the ledger together (see <see cref="Ledger.Batch"/>): each append's task completes once
/// the whole batch is durable. Released when disposed, when released explicitly, or when anything else on the same
/// flow appends to the ledger; appends after that are written at once.
/// </summary>
public sealed class LedgerBatch : IDisposable
{
    private readonly Ledger _ledger;
    private readonly Lock _lock = new();
    private List<Ledger.Pending>? _held = new(4);

    internal LedgerBatch(Ledger ledger) => _ledger = ledger;

    public Task<LedgerEntry> AppendAsync(string kind, string actor, string? room, string? thread, object? data)
    {
        var pending = _ledger.Prepare(new LedgerDraft(kind, actor, room, thread, data));
        lock (_lock) // enqueued under the batch's lock, so nothing appended after a release overtakes the held entries
        {
            if (_held is { } held) held.Add(pending);
            else _ledger.Enqueue([pending]);
        }
        return pending.Done.Task;
    }

    /// <summary>Sends what is held to the writer, as one group; later appends go straight to the writer.</summary>
    public void Release()
    {
        lock (_lock)
        {
            if (_held is not { } held) return;
            _held = null;
            if (held.Count > 0) _ledger.Enqueue(held);
        }
    }

    public void Dispose()
    {
        Release();
        Ledger.Forget(this);
    }
}
