using System.Text.Json;
using Capstan.Core;

namespace Capstan.Runbooks.Transfers;

/// <summary>What Capstan knows about one fetched file.</summary>
public sealed record FetchedFile(string Name, string Url, long Size, string Sha256, DateTimeOffset FetchedAt, string By, string Job)
{
    public string Path { get; init; } = "";
}

/// <summary>
/// The folder of fetched files, DATA/files: finished files by name, partial ones in .partial, and a small
/// JSON record per file in .meta (where it came from, its SHA-256, who fetched it).
/// </summary>
public sealed class FetchedFiles(DataFolder data)
{
    public string Root => Path.Combine(data.Root, "files");
    private string Partial => Path.Combine(Root, ".partial");
    private string Meta => Path.Combine(Root, ".meta");

    /// <summary>A safe file name: letters, digits, '.', '-', '_', not starting with a dot.</summary>
    public static bool ValidName(string name) =>
        name.Length is > 0 and <= 120 && name[0] != '.' && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_');

    public string FinalPath(string name) => Path.Combine(Root, name);

    public string PartialPath(string name)
    {
        Directory.CreateDirectory(Partial);
        return Path.Combine(Partial, name + ".part");
    }

    public async Task CompleteAsync(FetchedFile file, CancellationToken ct)
    {
        Directory.CreateDirectory(Meta);
        File.Move(PartialPath(file.Name), FinalPath(file.Name), overwrite: true);
        await File.WriteAllTextAsync(Path.Combine(Meta, file.Name + ".json"), JsonSerializer.Serialize(file), ct);
    }

    public IReadOnlyList<FetchedFile> List()
    {
        if (!Directory.Exists(Meta)) return [];
        var list = new List<FetchedFile>();
        foreach (var meta in Directory.EnumerateFiles(Meta, "*.json"))
        {
            var file = JsonSerializer.Deserialize<FetchedFile>(File.ReadAllText(meta));
            if (file is not null && File.Exists(FinalPath(file.Name))) list.Add(file with { Path = FinalPath(file.Name) });
        }
        return list.OrderByDescending(f => f.FetchedAt).ToList();
    }

    public bool Exists(string name) => File.Exists(FinalPath(name));
}
