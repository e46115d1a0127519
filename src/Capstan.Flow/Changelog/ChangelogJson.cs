using System.Text.Json.Serialization;

namespace Capstan.Flow.Changelog;

/// <summary>`capstan changelog --output json`: camelCase, indented; generated, so the Native AOT executable needs no reflection.</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ChangelogModel))]
public sealed partial class ChangelogJson : JsonSerializerContext;
