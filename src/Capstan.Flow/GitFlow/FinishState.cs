using System.Text.Json;
using System.Text.Json.Serialization;

namespace Capstan.Flow.GitFlow;

/// <summary>One step of a finish plan; steps are idempotent so a finish can be resumed.</summary>
public sealed record FinishStep
{
    public required string Action { get; init; }
    public string? Into { get; init; }
    public string? Source { get; init; }
    public string? SkipIfMerged { get; init; }
    public string? Message { get; init; }
    public string? Mode { get; init; }
    public IReadOnlyList<string>? Arguments { get; init; }
    public bool Done { get; set; }

    public string Describe() => Action switch
    {
        "merge" => $"merge '{Source}' into '{Into}'",
        "tag" => $"tag '{Source}' on '{Into}'",
        "post-hook" => $"run the post-flow hook",
        "push" => $"push '{Source}' to the remote",
        "delete-remote" => $"delete '{Source}' on the remote",
        "delete-local" => $"delete the branch '{Source}'",
        _ => Action,
    };
}

/// <summary>The persisted state of a finish in progress (.git/capstan-flow/state.json): the plan and every ref as it was before.</summary>
public sealed record FinishState
{
    public required string Command { get; init; }
    public required FlowBranchKind Kind { get; init; }
    public required string Name { get; init; }
    public required string Branch { get; init; }
    public required string OriginalHead { get; init; }
    public required Dictionary<string, string?> OriginalRefs { get; init; }
    public string? OriginalBase { get; init; }
    public required List<FinishStep> Steps { get; init; }
    public required List<string> Actions { get; init; }
    public required string FinalBranch { get; init; }


    public static string PathIn(string gitDirectory) => System.IO.Path.Combine(gitDirectory, "capstan-flow", "state.json");

    public static FinishState? Load(string gitDirectory)
    {
        var path = PathIn(gitDirectory);
        return File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllText(path), FinishStateJson.Default.FinishState) : null;
    }

    public void Save(string gitDirectory)
    {
        var path = PathIn(gitDirectory);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(this, FinishStateJson.Default.FinishState));
        File.Move(temp, path, overwrite: true);
    }

    public static void Delete(string gitDirectory)
    {
        var path = PathIn(gitDirectory);
        if (File.Exists(path)) File.Delete(path);
    }
}

/// <summary>
/// The state file's JSON, generated at build time: the reflection-based serializer compiles its converters and
/// accessors on every start of the process, which cost a short 'capstan flow ... finish' more than the finish itself.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true, UseStringEnumConverter = true)]
[JsonSerializable(typeof(FinishState))]
internal sealed partial class FinishStateJson : JsonSerializerContext;
