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
        File.WriteAllBytes(temp, ToJson());
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>
    /// The state as the serializer writes it (the same text, tested), written by hand because a finish saves it before
    /// its first step: even the generated serializer compiles a hundred generic methods at that point in a new process.
    /// </summary>
    private byte[] ToJson()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("Command", Command);
            w.WriteString("Kind", Kind.ToString());
            w.WriteString("Name", Name);
            w.WriteString("Branch", Branch);
            w.WriteString("OriginalHead", OriginalHead);
            w.WriteStartObject("OriginalRefs");
            foreach (var (name, sha) in OriginalRefs) w.WriteString(name, sha);
            w.WriteEndObject();
            w.WriteString("OriginalBase", OriginalBase);
            w.WriteStartArray("Steps");
            foreach (var step in Steps)
            {
                w.WriteStartObject();
                w.WriteString("Action", step.Action);
                w.WriteString("Into", step.Into);
                w.WriteString("Source", step.Source);
                w.WriteString("SkipIfMerged", step.SkipIfMerged);
                w.WriteString("Message", step.Message);
                w.WriteString("Mode", step.Mode);
                if (step.Arguments is null)
                {
                    w.WriteNull("Arguments");
                }
                else
                {
                    w.WriteStartArray("Arguments");
                    foreach (var a in step.Arguments) w.WriteStringValue(a);
                    w.WriteEndArray();
                }
                w.WriteBoolean("Done", step.Done);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("Actions");
            foreach (var a in Actions) w.WriteStringValue(a);
            w.WriteEndArray();
            w.WriteString("FinalBranch", FinalBranch);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static void Delete(string gitDirectory)
    {
        var path = PathIn(gitDirectory);
        if (File.Exists(path)) File.Delete(path);
    }
}

/// <summary>
/// Reads the state file ('flow continue', 'flow abort', and the check before every flow command finds none): generated
/// at build time, because the reflection-based serializer compiles its converters and accessors in every new process.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true, UseStringEnumConverter = true)]
[JsonSerializable(typeof(FinishState))]
internal sealed partial class FinishStateJson : JsonSerializerContext;
