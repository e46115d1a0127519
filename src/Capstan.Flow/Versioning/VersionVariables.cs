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
        var raw = Raw(name);
        if (ReferenceEquals(raw, Missing)) { value = null; return false; }
        value = Format(raw);
        return true;
    }

    private object? Raw(string name) => name switch
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

    private static string? Format(object? raw) => raw switch
    {
        null => "",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => raw.ToString(),
    };

    /// <summary>
    /// The variables as lines of NAME=VALUE in GitVersion's order (a null value has no line; backslash, CR and LF escaped),
    /// which the version cache stores so that a hit needs no JSON parser.
    /// </summary>
    internal string ToLines()
    {
        var sb = new StringBuilder();
        foreach (var name in Names)
        {
            var raw = Raw(name);
            if (raw is null) continue;
            sb.Append(name).Append('=');
            foreach (var c in Format(raw)!)
                _ = c switch { '\\' => sb.Append(@"\\"), '\n' => sb.Append(@"\n"), '\r' => sb.Append(@"\r"), _ => sb.Append(c) };
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>Reads what <see cref="ToLines"/> wrote; throws FormatException, KeyNotFoundException or OverflowException on anything else.</summary>
    internal static VersionVariables FromLines(IEnumerable<string> lines)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) throw new FormatException($"not a NAME=VALUE line: '{line}'");
            var sb = new StringBuilder(line.Length - eq);
            for (var i = eq + 1; i < line.Length; i++)
            {
                if (line[i] != '\\') { sb.Append(line[i]); continue; }
                if (++i == line.Length) throw new FormatException("a value ends with a lone backslash");
                sb.Append(line[i] switch { 'n' => '\n', 'r' => '\r', '\\' => '\\', _ => throw new FormatException($"unknown escape '\\{line[i]}'") });
            }
            values[line[..eq]] = sb.ToString();
        }
        return FromValues(values);
    }

    /// <summary>Builds the variables from their text values; a nullable variable may be missing, any other may not.</summary>
    private static VersionVariables FromValues(IReadOnlyDictionary<string, string> values)
    {
        string S(string n) => values[n];
        int I(string n) => int.Parse(values[n], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        long L(string n) => long.Parse(values[n], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        int? NI(string n) => values.ContainsKey(n) ? I(n) : null;
        long? NL(string n) => values.ContainsKey(n) ? L(n) : null;
        return new VersionVariables
        {
            AssemblySemFileVer = S("AssemblySemFileVer"),
            AssemblySemVer = S("AssemblySemVer"),
            BranchName = S("BranchName"),
            BuildMetaData = NI("BuildMetaData"),
            CommitDate = S("CommitDate"),
            CommitsSinceVersionSource = I("CommitsSinceVersionSource"),
            EscapedBranchName = S("EscapedBranchName"),
            FullBuildMetaData = S("FullBuildMetaData"),
            FullSemVer = S("FullSemVer"),
            InformationalVersion = S("InformationalVersion"),
            Major = L("Major"),
            MajorMinorPatch = S("MajorMinorPatch"),
            Minor = L("Minor"),
            Patch = L("Patch"),
            PreReleaseLabel = S("PreReleaseLabel"),
            PreReleaseLabelWithDash = S("PreReleaseLabelWithDash"),
            PreReleaseNumber = NL("PreReleaseNumber"),
            PreReleaseTag = S("PreReleaseTag"),
            PreReleaseTagWithDash = S("PreReleaseTagWithDash"),
            SemVer = S("SemVer"),
            Sha = S("Sha"),
            ShortSha = S("ShortSha"),
            UncommittedChanges = I("UncommittedChanges"),
            VersionSourceDistance = I("VersionSourceDistance"),
            VersionSourceIncrement = S("VersionSourceIncrement"),
            VersionSourceSemVer = S("VersionSourceSemVer"),
            VersionSourceSha = values.GetValueOrDefault("VersionSourceSha"),
            WeightedPreReleaseNumber = L("WeightedPreReleaseNumber"),
        };
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
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Value.ValueKind == JsonValueKind.Null) continue; // as ToLines leaves it out
            values[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
        }
        return FromValues(values);
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
