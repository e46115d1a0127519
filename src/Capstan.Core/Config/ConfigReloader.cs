using Capstan.Core.Commands;
using Capstan.Core.Conversation;
using Capstan.Core.Ledger;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Capstan.Core.Config;

/// <summary>
/// Follows the config repo's main branch: each new commit is read and validated; a good one comes into
/// force at once (no restart), a bad one is refused with file:line errors posted to the default room,
/// and the last good configuration keeps running.
/// </summary>
public sealed class ConfigReloader(ConfigRepo repo, ConfigLoader loader, ConfigState state, Ledger.Ledger ledger, Outbox outbox, ILogger<ConfigReloader>? log = null) : BackgroundService
{
    private readonly ILogger _log = log ?? NullLogger<ConfigReloader>.Instance;
    private string? _failing;

    private readonly SemaphoreSlim _nudge = new(0, int.MaxValue);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _seen;

    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>Asks for an immediate look at the repo (after Capstan's own commit, or a push hook).</summary>
    public void Nudge() => _nudge.Release();

    /// <summary>Reads HEAD now and applies it if new; returns the configuration in force afterwards.</summary>
    public async Task<ConfigSnapshot> RefreshAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            _seen ??= state.Current.Commit;
            var head = repo.HeadSha();
            if (head is null || head == _seen) return state.Current;
            // Seen only once it could be read: a head that failed to read (objects still arriving, a broken ref) is read
            // again on the next tick, whichever loop asked first, instead of being skipped for good.
            var commit = repo.ReadCommit(head);
            _seen = head;
            try
            {
                var snapshot = loader.Load(head, commit.When, repo.ReadFiles(head));
                state.Accept(snapshot);
                await ledger.AppendAsync(LedgerKinds.ConfigApplied, commit.AuthorEmail, null, null,
                    new { commit = head, author = commit.AuthorName, subject = commit.Subject });
            }
            catch (ConfigException ex)
            {
                state.Reject(new RejectedConfig(head, commit.AuthorName, ex.Errors));
                _log.LogWarning("Commit {Commit} by {Author} has {Count} configuration error(s), first {Error}; the last good configuration ({Current}) stays in force",
                    commit.ShortSha, commit.AuthorName, ex.Errors.Count, ex.Errors[0].ToString(), state.Current.ShortCommit);
                await ledger.AppendAsync(LedgerKinds.ConfigRejected, commit.AuthorEmail, null, null,
                    new { commit = head, author = commit.AuthorName, errors = ex.Errors.Select(e => e.ToString()) });
                var room = state.Current.Policy.DefaultRoom;
                await outbox.PostAsync(room, null, new Reply(
                    $"Commit {commit.ShortSha} by {commit.AuthorName} (\"{commit.Subject}\") has configuration errors, so it is not in force; " +
                    $"the last good configuration ({state.Current.ShortCommit}) keeps running. Fix and push again:\n" +
                    string.Join("\n", ex.Errors.Take(20).Select(e => "• " + e)), ReplyTone.Error));
            }
            return state.Current;
        }
        finally
        {
            _gate.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RefreshAsync(stoppingToken);
                _failing = null;
                await _nudge.WaitAsync(PollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // A transient read error (a push in progress) is retried on the next tick; the same failure is logged once.
                if (_failing != ex.Message) _log.LogWarning(ex, "Could not read the config repo's newest commit; the last good configuration ({Commit}) stays in force, retrying", state.Current.ShortCommit);
                _failing = ex.Message;
                await Task.Delay(PollInterval, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }
}
