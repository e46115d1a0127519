using System.Text.Json;
using System.Text.Json.Serialization;
using Capstan.Flow.GitFlow;

namespace Capstan.Flow.Tests.GitFlow;

/// <summary>The saved state of a finish that stopped keeps its format, so a 'flow continue' by another build still reads it.</summary>
public class FinishStateTests
{
    private static readonly JsonSerializerOptions Reflection = new() { WriteIndented = true, Converters = { new JsonStringEnumConverter() } };

    private static FinishState Sample() => new()
    {
        Command = "release finish",
        Kind = FlowBranchKind.Release,
        Name = "1.2.0",
        Branch = "release/1.2.0",
        OriginalHead = "release/1.2.0",
        OriginalRefs = new() { ["refs/heads/main"] = "0123456789abcdef0123456789abcdef01234567", ["refs/tags/1.2.0"] = null },
        OriginalBase = "develop",
        Steps =
        [
            new() { Action = "merge", Into = "main", Source = "release/1.2.0", Mode = "no-ff", Message = "Merge branch 'release/1.2.0'\n", Done = true },
            new() { Action = "post-hook", Into = "release", Arguments = ["1.2.0", "origin", "release/1.2.0"] },
            new() { Action = "tag", Into = "main", Source = "1.2.0", Message = "Release <1.2.0> & \"more\" — ünïcode\n", Arguments = [] },
        ],
        Actions = ["The release branch 'release/1.2.0' was merged into 'main'"],
        FinalBranch = "develop",
    };

    [Fact]
    public void The_state_file_is_what_the_reflection_serializer_wrote_and_reads_back()
    {
        var dir = Directory.CreateTempSubdirectory("capstan-state-").FullName;
        try
        {
            var state = Sample();
            state.Save(dir);
            var written = File.ReadAllText(FinishState.PathIn(dir));
            Assert.Equal(JsonSerializer.Serialize(state, Reflection), written);

            // A file written by the reflection serializer (earlier builds) loads to the same state.
            File.WriteAllText(FinishState.PathIn(dir), JsonSerializer.Serialize(state, Reflection));
            var loaded = FinishState.Load(dir);
            Assert.NotNull(loaded);
            Assert.Equal(written, JsonSerializer.Serialize(loaded, Reflection));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
