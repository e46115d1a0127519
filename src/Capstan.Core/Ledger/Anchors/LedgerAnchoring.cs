using Microsoft.Extensions.Logging;

namespace Capstan.Core.Ledger.Anchors;

/// <summary>
/// Anchors the ledger's head outside the database: every <see cref="Period"/> while entries are appended, when asked
/// (at start, for entries another process appended while no server ran) and when closed (the server stops). Each
/// anchor is signed with the key and committed to the anchor history, then pushed to the config repo's remotes.
/// </summary>
public sealed class LedgerAnchoring : IAsyncDisposable
{
    /// <summary>How often the head is anchored while entries are appended.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromMinutes(1);

    private readonly ILedgerStore _store;
    private readonly AnchorHistory _history;
    private readonly LedgerSigningKey? _key;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _ticking = new();
    private readonly ITimer _timer;
    private Task _tick = Task.CompletedTask;
    private bool _closed;
    private bool _again;
    private bool _running;

    /// <param name="key">The signing key; without one nothing is anchored (the server that holds the key anchors these entries later).</param>
    public LedgerAnchoring(ILedgerStore store, AnchorHistory history, LedgerSigningKey? key, TimeProvider clock, ILogger logger)
    {
        _store = store;
        _history = history;
        _key = key;
        _clock = clock;
        _logger = logger;
        _timer = clock.CreateTimer(_ => Tick(), null, Period, Period);
    }

    /// <summary>
    /// Anchoring for a data folder: its signing key (created on first use, unless the folder's anchors exist already and
    /// the key is elsewhere — then a new key would only look like a replaced one, so nothing is anchored and the log says why).
    /// </summary>
    public static LedgerAnchoring Open(DataFolder data, ILedgerStore store, TimeProvider clock, ILogger logger)
    {
        var history = new AnchorHistory(data.ConfigRepo);
        var key = LedgerSigningKey.TryLoad(data);
        if (key is null && !HasAnchors(history, logger)) key = LedgerSigningKey.CreateFile(data);
        if (key is null)
            logger.LogWarning("The ledger has anchors in {Repo} but its signing key is neither in {File} nor in {Variable}: entries appended by this process are anchored later, by a Capstan that has the key.",
                history.RepoPath, data.LedgerKeyFile, LedgerSigningKey.EnvironmentVariable);
        return new LedgerAnchoring(store, history, key, clock, logger);
    }

    public AnchorHistory History => _history;

    /// <summary>The newest anchor this process wrote or found; null before the first.</summary>
    public LedgerAnchor? Latest { get; private set; }

    /// <summary>Anchors the ledger's head now unless the newest anchor already holds it.</summary>
    public async Task<LedgerAnchor?> AnchorAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            if (_key is null) return null;
            var (seq, hash) = await _store.TailAsync(ct);
            if (seq == 0) return null;
            if (Latest is { } known && known.Seq == seq && known.Hash == hash) return known;
            var anchor = await _history.AppendAsync(seq, hash, _clock.GetUtcNow(), _key, ct);
            var moved = Latest is null || anchor is null || anchor.Seq != Latest.Seq || anchor.Hash != Latest.Hash;
            Latest = anchor;
            if (moved) await PushAsync(ct);
            return anchor;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// At start: whether the database still holds the newest anchored entry with its anchored hash. When it does not,
    /// the log says so at once (the details come from <c>capstan ledger verify</c>); anchoring goes on, and the older
    /// anchor keeps the evidence.
    /// </summary>
    public async Task<bool> CheckNewestAsync(CancellationToken ct)
    {
        AnchorCommit? latest;
        try { latest = _history.Latest(); }
        catch (LibGit2Sharp.LibGit2SharpException ex)
        {
            _logger.LogError(ex, "The ledger anchors in {Repo} cannot be read; run `capstan ledger verify` to see what is wrong with them.", _history.RepoPath);
            return false;
        }
        if (latest?.Anchor is not { } newest || !newest.SignatureHolds()) return true;
        var entry = (await _store.QueryAsync(new LedgerQuery(After: newest.Seq - 1, Limit: 1), ct)).FirstOrDefault();
        if (entry is { } e && e.Seq == newest.Seq && e.Hash == newest.Hash) return true;
        _logger.LogError("The ledger does not match its newest anchor (entry {Seq}, {At}): entry {Seq} is {What}. Someone changed capstan.db; run `capstan ledger verify` for details.",
            newest.Seq, LedgerAnchor.Shown(newest.At), newest.Seq, entry is { } found && found.Seq == newest.Seq ? "different" : "missing");
        return false;
    }

    /// <summary>Whether the history has anchors; one that cannot be read counts as having them (no new key is made over it).</summary>
    private static bool HasAnchors(AnchorHistory history, ILogger logger)
    {
        try { return history.Latest() is not null; }
        catch (LibGit2Sharp.LibGit2SharpException ex)
        {
            logger.LogError(ex, "The ledger anchors in {Repo} cannot be read; no new signing key is made over them.", history.RepoPath);
            return true;
        }
    }

    /// <summary>Completes when the anchoring the last tick started is done (for tests that move the clock).</summary>
    internal Task IdleAsync()
    {
        lock (_ticking) return _tick;
    }

    private void Tick()
    {
        lock (_ticking)
        {
            if (_closed) return;
            if (_running)
            {
                _again = true; // a slow anchor (a push to a far mirror) is followed by one more, not queued once per tick
                return;
            }
            _running = true;
            _tick = Task.Run(async () =>
            {
                while (true)
                {
                    await TryAnchorAsync();
                    lock (_ticking)
                    {
                        if (!_again) { _running = false; return; }
                        _again = false;
                    }
                }
            });
        }
    }

    /// <summary>Anchors now; a failure is logged (the next minute tries again) rather than stopping the caller.</summary>
    private async Task TryAnchorAsync()
    {
        try { await AnchorAsync(CancellationToken.None); }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or LibGit2Sharp.LibGit2SharpException or Microsoft.Data.Sqlite.SqliteException)
        {
            _logger.LogError(ex, "Could not anchor the ledger in {Repo}; the next minute tries again. `capstan ledger verify` reports entries left without an anchor.", _history.RepoPath);
        }
    }

    private async Task PushAsync(CancellationToken ct)
    {
        foreach (var remote in await _history.RemotesAsync(ct))
        {
            var push = await _history.PushAsync(remote, ct);
            if (!push.Ok)
                _logger.LogWarning("Could not push the ledger anchors ({Ref}) to the config repo's remote {Remote}: {Error}. The next anchor tries again.",
                    AnchorHistory.Ref, remote, push.Error.Trim());
        }
    }

    /// <summary>Stops the timer and writes a last anchor of whatever was appended since the one before.</summary>
    public async ValueTask DisposeAsync()
    {
        Task tick;
        lock (_ticking)
        {
            _closed = true;
            tick = _tick;
        }
        await _timer.DisposeAsync();
        await tick;
        await TryAnchorAsync();
        _key?.Dispose();
    }
}
