using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Capstan.Flow.Versioning;

/// <summary>The version variables GitVersion 6 prints, with the same names, types and order.</summary>
public sealed record VersionVariables
{
    public required string AssemblySemFileVer { get; init; }
    public required string AssemblySemVer { get; init; }
    public required string BranchName { get; init; }
    public int? BuildMetaData { get; init; }
    public required string CommitDate { get; init; }
    public int CommitsSinceVersionSource { get; init; }
    public required string EscapedBranchName { get; init; }
    public required string FullBuildMetaData { get; init; }
    public required string FullSemVer { get; init; }
    public required string InformationalVersion { get; init; }
    public long Major { get; init; }
    public required string MajorMinorPatch { get; init; }
    public long Minor { get; init; }
    public long Patch { get; init; }
    public required string PreReleaseLabel { get; init; }
    public required string PreReleaseLabelWithDash { get; init; }
    public long? PreReleaseNumber { get; init; }
    public required string PreReleaseTag { get; init; }
    public required string PreReleaseTagWithDash { get; init; }
    public required string SemVer { get; init; }
    public required string Sha { get; init; }
    public required string ShortSha { get; init; }
    public int UncommittedChanges { get; init; }
    public int VersionSourceDistance { get; init; }
    public required string VersionSourceIncrement { get; init; }
    public required string VersionSourceSemVer { get; init; }
    public string? VersionSourceSha { get; init; }
    public long WeightedPreReleaseNumber { get; init; }

    /// <summary>The variable names in GitVersion's output order.</summary>
    public static readonly IReadOnlyList<string> Names =
    [
        "AssemblySemFileVer", "AssemblySemVer", "BranchName", "BuildMetaData", "CommitDate", "CommitsSinceVersionSource",
        "EscapedBranchName", "FullBuildMetaData", "FullSemVer", "InformationalVersion", "Major", "MajorMinorPatch", "Minor",
        "Patch", "PreReleaseLabel", "PreReleaseLabelWithDash", "PreReleaseNumber", "PreReleaseTag", "PreReleaseTagWithDash",
        "SemVer", "Sha", "ShortSha", "UncommittedChanges", "VersionSourceDistance", "VersionSourceIncrement",
        "VersionSourceSemVer", "VersionSourceSha", "WeightedPreReleaseNumber",
    ];

    /// <summary>The value of one variable as GitVersion's /showvariable prints it, or null when the name is unknown.</summary>
    public bool TryGet(string name, out string? value)
    {
        object? raw = name switch
        {
            "AssemblySemFileVer" => AssemblySemFileVer,
            "AssemblySemVer" => AssemblySemVer,
            "BranchName" => BranchName,
            "BuildMetaData" => BuildMetaData,
            "CommitDate" => CommitDate,
            "CommitsSinceVersionSource" => CommitsSinceVersionSource,
            "EscapedBranchName" => EscapedBranchName,
            "FullBuildMetaData" => FullBuildMetaData,
            "FullSemVer" => FullSemVer,
            "InformationalVersion" => InformationalVersion,
            "Major" => Major,
            "MajorMinorPatch" => MajorMinorPatch,
            "Minor" => Minor,
            "Patch" => Patch,
            "PreReleaseLabel" => PreReleaseLabel,
            "PreReleaseLabelWithDash" => PreReleaseLabelWithDash,
            "PreReleaseNumber" => PreReleaseNumber,
            "PreReleaseTag" => PreReleaseTag,
            "PreReleaseTagWithDash" => PreReleaseTagWithDash,
            "SemVer" => SemVer,
            "Sha" => Sha,
            "ShortSha" => ShortSha,
            "UncommittedChanges" => UncommittedChanges,
            "VersionSourceDistance" => VersionSourceDistance,
            "VersionSourceIncrement" => VersionSourceIncrement,
            "VersionSourceSemVer" => VersionSourceSemVer,
            "VersionSourceSha" => VersionSourceSha,
            "WeightedPreReleaseNumber" => WeightedPreReleaseNumber,
            _ => Missing,
        };
        if (ReferenceEquals(raw, Missing)) { value = null; return false; }
        value = raw switch
        {
            null => "",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => raw.ToString(),
        };
        return true;
    }

    private static readonly object Missing = new();

    /// <summary>The variables as GitVersion's "/output json" prints them.</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("AssemblySemFileVer", AssemblySemFileVer);
            w.WriteString("AssemblySemVer", AssemblySemVer);
            w.WriteString("BranchName", BranchName);
            if (BuildMetaData is { } b) w.WriteNumber("BuildMetaData", b); else w.WriteNull("BuildMetaData");
            w.WriteString("CommitDate", CommitDate);
            w.WriteNumber("CommitsSinceVersionSource", CommitsSinceVersionSource);
            w.WriteString("EscapedBranchName", EscapedBranchName);
            w.WriteString("FullBuildMetaData", FullBuildMetaData);
            w.WriteString("FullSemVer", FullSemVer);
            w.WriteString("InformationalVersion", InformationalVersion);
            w.WriteNumber("Major", Major);
            w.WriteString("MajorMinorPatch", MajorMinorPatch);
            w.WriteNumber("Minor", Minor);
            w.WriteNumber("Patch", Patch);
            w.WriteString("PreReleaseLabel", PreReleaseLabel);
            w.WriteString("PreReleaseLabelWithDash", PreReleaseLabelWithDash);
            if (PreReleaseNumber is { } n) w.WriteNumber("PreReleaseNumber", n); else w.WriteNull("PreReleaseNumber");
            w.WriteString("PreReleaseTag", PreReleaseTag);
            w.WriteString("PreReleaseTagWithDash", PreReleaseTagWithDash);
            w.WriteString("SemVer", SemVer);
            w.WriteString("Sha", Sha);
            w.WriteString("ShortSha", ShortSha);
            w.WriteNumber("UncommittedChanges", UncommittedChanges);
            w.WriteNumber("VersionSourceDistance", VersionSourceDistance);
            w.WriteString("VersionSourceIncrement", VersionSourceIncrement);
            w.WriteString("VersionSourceSemVer", VersionSourceSemVer);
            if (VersionSourceSha is { } s) w.WriteString("VersionSourceSha", s); else w.WriteNull("VersionSourceSha");
            w.WriteNumber("WeightedPreReleaseNumber", WeightedPreReleaseNumber);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Reads variables written by <see cref="ToJson"/>.</summary>
    public static VersionVariables FromJson(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var r = doc.RootElement;
        string S(string n) => r.GetProperty(n).GetString() ?? "";
        int? NI(string n) => r.GetProperty(n).ValueKind == JsonValueKind.Null ? null : r.GetProperty(n).GetInt32();
        long? NL(string n) => r.GetProperty(n).ValueKind == JsonValueKind.Null ? null : r.GetProperty(n).GetInt64();
        return new VersionVariables
        {
            AssemblySemFileVer = S("AssemblySemFileVer"), AssemblySemVer = S("AssemblySemVer"), BranchName = S("BranchName"),
            BuildMetaData = NI("BuildMetaData"), CommitDate = S("CommitDate"), CommitsSinceVersionSource = NI("CommitsSinceVersionSource") ?? 0,
            EscapedBranchName = S("EscapedBranchName"), FullBuildMetaData = S("FullBuildMetaData"), FullSemVer = S("FullSemVer"),
            InformationalVersion = S("InformationalVersion"), Major = NL("Major") ?? 0, MajorMinorPatch = S("MajorMinorPatch"),
            Minor = NL("Minor") ?? 0, Patch = NL("Patch") ?? 0, PreReleaseLabel = S("PreReleaseLabel"),
            PreReleaseLabelWithDash = S("PreReleaseLabelWithDash"), PreReleaseNumber = NL("PreReleaseNumber"),
            PreReleaseTag = S("PreReleaseTag"), PreReleaseTagWithDash = S("PreReleaseTagWithDash"), SemVer = S("SemVer"),
            Sha = S("Sha"), ShortSha = S("ShortSha"), UncommittedChanges = NI("UncommittedChanges") ?? 0,
            VersionSourceDistance = NI("VersionSourceDistance") ?? 0, VersionSourceIncrement = S("VersionSourceIncrement"),
            VersionSourceSemVer = S("VersionSourceSemVer"),
            VersionSourceSha = r.GetProperty("VersionSourceSha").ValueKind == JsonValueKind.Null ? null : S("VersionSourceSha"),
            WeightedPreReleaseNumber = NL("WeightedPreReleaseNumber") ?? 0,
        };
    }

    /// <summary>A short human-readable summary: one "Name: value" line per variable.</summary>
    public string ToText()
    {
        var sb = new StringBuilder();
        foreach (var name in Names)
        {
            TryGet(name, out var v);
            sb.Append(name).Append(": ").AppendLine(v);
        }
        return sb.ToString();
    }
}
