namespace Capstan.Core.Config;

/// <summary>
/// The config repo's pre-receive check: a push whose new main has configuration errors is refused by the push
/// itself, and the pusher reads every error (file:line:column) in git push's output. Capstan's own refs
/// (refs/capstan/*: the signed ledger anchors) are Capstan's to write: a push to them is refused. Other refs (feature
/// branches), deletions and valid pushes pass. It reads the pushed objects with git alone and takes no lock,
/// so it works while the server runs.
/// </summary>
public sealed class PushGate(ConfigLoader loader)
{
    /// <summary>
    /// Reads git's pre-receive lines (<c>OLD NEW REF</c>) and validates each new main; writes what is wrong to
    /// <paramref name="say"/> (the pusher's terminal). Returns 0 to accept the push, 1 to refuse it.
    /// </summary>
    public async Task<int> CheckAsync(string repoPath, TextReader updates, TextWriter say, CancellationToken ct)
    {
        var refused = false;
        while (await updates.ReadLineAsync(ct) is { } line)
        {
            var parts = line.Trim().Split(' ');
            if (parts.Length == 3 && parts[2].StartsWith(CapstanRefs, StringComparison.Ordinal))
            {
                // Capstan writes these refs itself (git update-ref, which runs no hook); anchors pushed by a person would
                // be unsigned or replayed, and removing them would hide a truncated ledger until the next anchor.
                await say.WriteLineAsync($"Capstan refused the push: {parts[2]} is written by Capstan only (the ledger's signed anchors), so a push cannot create, move or delete it.");
                refused = true;
                continue;
            }
            if (parts.Length != 3 || !UpdatesMain(parts[1], parts[2])) continue;
            var sha = parts[1];
            var shortSha = sha[..Math.Min(7, sha.Length)];
            IReadOnlyDictionary<string, string> files;
            DateTimeOffset when;
            try
            {
                (when, files) = await PushedCommit.ReadAsync(repoPath, sha, ct);
            }
            catch (IOException ex)
            {
                // Fail closed: what cannot be read cannot be shown to be valid.
                await say.WriteLineAsync($"Capstan could not read the pushed commit {shortSha} ({ex.Message}), so the push to {ConfigRepo.Branch} is refused. Try again; if it persists, run `capstan validate .` in your checkout.");
                refused = true;
                continue;
            }
            try
            {
                loader.Load(sha, when, files);
            }
            catch (ConfigException ex)
            {
                refused = true;
                await say.WriteLineAsync($"Capstan refused the push: commit {shortSha} has {ex.Errors.Count} configuration error(s), so {ConfigRepo.Branch} is unchanged and the running configuration stays in force.");
                foreach (var e in ex.Errors.Take(50)) await say.WriteLineAsync(e.ToString());
                if (ex.Errors.Count > 50) await say.WriteLineAsync($"… and {ex.Errors.Count - 50} more.");
                await say.WriteLineAsync("Fix them, commit and push again; `capstan validate .` in your checkout checks before you push.");
            }
        }
        await say.FlushAsync(ct);
        return refused ? 1 : 0;
    }

    /// <summary>The refs only Capstan writes.</summary>
    public const string CapstanRefs = "refs/capstan/";

    /// <summary>True for a line that creates or moves main (a deletion has an all-zero new id).</summary>
    private static bool UpdatesMain(string newSha, string refName) => refName == ConfigRepo.BranchRef && newSha.Any(c => c != '0');
}
