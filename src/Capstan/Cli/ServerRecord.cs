using System.Text.Json;
using Capstan.Core;

namespace Capstan.Cli;

/// <summary>
/// DATA/server.json: where the running server listens, so local tools can find it, and the public address
/// (<c>--public-url</c>) that links people follow, when it differs.
/// </summary>
public sealed record ServerRecord(string Url, int Pid, DateTimeOffset StartedAt, string? PublicUrl = null)
{
    /// <summary>Where links printed for people point.</summary>
    public string LinkBase => PublicUrl ?? Url;

    public static ServerRecord? Read(DataFolder data)
    {
        try
        {
            if (!File.Exists(data.ServerFile)) return null;
            var r = JsonSerializer.Deserialize<ServerRecord>(File.ReadAllText(data.ServerFile));
            return r is not null && Directory.Exists($"/proc/{r.Pid}") ? r : null;
        }
        catch (Exception ex) when (ex is IOException or JsonException)
        {
            return null;
        }
    }

    public void Write(DataFolder data) => PrivateFolder.WriteText(data.ServerFile, JsonSerializer.Serialize(this));
}
