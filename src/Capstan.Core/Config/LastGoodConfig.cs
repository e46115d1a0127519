namespace Capstan.Core.Config;

/// <summary>
/// Which configuration is in force when a process opens a data folder: the newest commit on main whose configuration
/// is valid. The server and the CLI's verbs share this one rule, so a bad commit that reached main (pushed before the
/// validating hook existed, or written into the repo directly) never stops either: both keep the last good one.
/// </summary>
public static class LastGoodConfig
{
    /// <summary>How far back the walk goes before giving up.</summary>
    public const int Depth = 200;

    /// <summary>The configuration to use, and the newest commit when it was refused (null when HEAD is in force).</summary>
    public static (ConfigSnapshot Snapshot, RejectedConfig? Newest) Find(ConfigRepo repo, ConfigLoader loader, CancellationToken ct)
    {
        ConfigException? first = null;
        RejectedConfig? newest = null;
        foreach (var c in repo.Log(Depth))
        {
            ct.ThrowIfCancellationRequested();
            try { return (loader.Load(c.Sha, c.When, repo.ReadFiles(c.Sha)), newest); }
            catch (ConfigException ex)
            {
                first ??= ex;
                newest ??= new RejectedConfig(c.Sha, c.AuthorName, ex.Errors);
            }
        }
        throw first ?? new ConfigException([new ConfigError(ConfigLoader.MainFile, 0, 0, "the config repo has no commits")]);
    }

    /// <summary>One line for a person at a terminal: the newest commit is invalid, and which configuration is used instead.</summary>
    public static string Notice(RejectedConfig newest, ConfigSnapshot used) =>
        $"The newest commit of the config repo ({Short(newest.Commit)} by {newest.Author}) is invalid " +
        $"({newest.Errors.FirstOrDefault()?.ToString() ?? "no details"}{(newest.Errors.Count > 1 ? $", and {newest.Errors.Count - 1} more" : "")}); " +
        $"using the last good configuration, {used.ShortCommit}. Fix it and push again (`capstan validate` lists every error).";

    private static string Short(string sha) => sha.Length > 7 ? sha[..7] : sha;
}
