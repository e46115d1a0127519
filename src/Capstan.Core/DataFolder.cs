namespace Capstan.Core;

/// <summary>The files of one Capstan installation: ledger database, config repo, server record, local admin token, ledger signing key.</summary>
public sealed record DataFolder(string Root)
{
    public static DataFolder At(string path) => new(Path.GetFullPath(path));

    public string Database => Path.Combine(Root, "capstan.db");
    public string ConfigRepo => Path.Combine(Root, "config.git");
    public string ServerFile => Path.Combine(Root, "server.json");
    public string AdminTokenFile => Path.Combine(Root, "local-admin.token");
    public string LockFile => Path.Combine(Root, ".lock");
    public string LedgerKeyFile => Path.Combine(Root, "ledger-signing.key");
    public string Work => Path.Combine(Root, "work");

    public bool Exists => File.Exists(Database);
}
