using System.Globalization;
using System.Text.RegularExpressions;

namespace Capstan.Flow.Versioning;

/// <summary>Which part of a version an increment changes.</summary>
public enum VersionField
{
    None = 0,
    Patch = 1,
    Minor = 2,
    Major = 3,
}

/// <summary>The pre-release part of a version: a label and an optional number ("beta.2", "alpha", or just "4").</summary>
public sealed record PreReleaseTag(string Name, long? Number, bool ShownWithoutName = false)
{
    public static readonly PreReleaseTag Empty = new(string.Empty, null);

    /// <summary>True when the version has a pre-release part at all.</summary>
    public bool HasTag => Name.Length > 0 || (ShownWithoutName && Number.HasValue);

    public override string ToString() =>
        Number is null ? Name : Name.Length == 0 ? Number.Value.ToString(CultureInfo.InvariantCulture) : $"{Name}.{Number.Value.ToString(CultureInfo.InvariantCulture)}";

    public bool Matches(PreReleaseTag other) =>
        HasTag == other.HasTag && string.Equals(Name, other.Name, StringComparison.OrdinalIgnoreCase) && Number == other.Number;

    public static PreReleaseTag Parse(string text)
    {
        if (text.Length == 0) return Empty;
        var lastDot = text.LastIndexOf('.');
        if (lastDot > 0 && long.TryParse(text[(lastDot + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            return new PreReleaseTag(text[..lastDot], n);
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var only))
            return new PreReleaseTag(string.Empty, only, true);
        var m = Regex.Match(text, @"^(?<name>.*?)(?<number>\d+)$");
        if (m.Success && m.Groups["name"].Value.Length > 0)
            return new PreReleaseTag(m.Groups["name"].Value, long.Parse(m.Groups["number"].Value, CultureInfo.InvariantCulture));
        return new PreReleaseTag(text, null);
    }
}

/// <summary>A semantic version as GitVersion understands it: major.minor.patch, an optional pre-release tag and build metadata.</summary>
public sealed record SemanticVersion(long Major, long Minor, long Patch, PreReleaseTag PreRelease, string? BuildMetadata = null)
    : IComparable<SemanticVersion>
{
    public static readonly SemanticVersion Zero = new(0, 0, 0, PreReleaseTag.Empty);

    private static readonly Regex Strict = new(
        @"^(?<major>0|[1-9]\d*)\.(?<minor>0|[1-9]\d*)\.(?<patch>0|[1-9]\d*)(?:-(?<pre>(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+(?<meta>[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$",
        RegexOptions.CultureInvariant);

    private static readonly Regex Loose = new(
        @"^(?<major>\d+)(?:\.(?<minor>\d+))?(?:\.(?<patch>\d+))?(?:\.\d+)?(?:-(?<pre>[^+]*))?(?:\+(?<meta>.*))?$",
        RegexOptions.CultureInvariant);

    public string MajorMinorPatch => $"{Major}.{Minor}.{Patch}";

    public override string ToString() => PreRelease.HasTag ? $"{MajorMinorPatch}-{PreRelease}" : MajorMinorPatch;

    /// <summary>Parses a tag name such as "v1.2.0" or "1.2.0-beta.1" after removing a prefix that matches <paramref name="prefixPattern"/>.</summary>
    public static bool TryParse(string text, string? prefixPattern, out SemanticVersion version, bool loose = false)
    {
        version = Zero;
        if (!string.IsNullOrEmpty(prefixPattern)) text = text[PrefixLength(text, prefixPattern)..];
        // Most tags are plain "1.2.3": read without the regex, whose match objects were most of what reading 20,000 tags allocated.
        if (!loose && TryPlain(text, out var plain))
        {
            version = plain;
            return true;
        }
        var m = (loose ? Loose : Strict).Match(text);
        if (!m.Success) return false;
        static long Part(Group g) => g.Success && g.Value.Length > 0 ? long.Parse(g.Value, CultureInfo.InvariantCulture) : 0;
        version = new SemanticVersion(Part(m.Groups["major"]), Part(m.Groups["minor"]), Part(m.Groups["patch"]),
            PreReleaseTag.Parse(m.Groups["pre"].Value), m.Groups["meta"].Success ? m.Groups["meta"].Value : null);
        return true;
    }

    // The last prefix pattern's regex, replaced whole (one reference) so threads never see a torn pair.
    private static Tuple<string, Regex>? prefixRegex;

    /// <summary>How long the prefix matching <paramref name="pattern"/> at the start of <paramref name="text"/> is (0 when none).</summary>
    private static int PrefixLength(string text, string pattern)
    {
        var cached = prefixRegex;
        if (cached is null || cached.Item1 != pattern) prefixRegex = cached = Tuple.Create(pattern, new Regex("^" + pattern, RegexOptions.CultureInvariant));
        foreach (var match in cached.Item2.EnumerateMatches(text)) return match.Length;
        return 0;
    }

    /// <summary>"MAJOR.MINOR.PATCH" in ASCII digits without leading zeros, as <see cref="Strict"/> reads it; false for anything else (the regex decides).</summary>
    private static bool TryPlain(string text, out SemanticVersion version)
    {
        version = Zero;
        Span<long> parts = stackalloc long[3];
        var part = 0;
        var start = 0;
        for (var i = 0; i <= text.Length; i++)
        {
            if (i < text.Length && text[i] is >= '0' and <= '9') continue;
            if (i < text.Length && (text[i] != '.' || part == 2)) return false;
            var digits = i - start;
            // 18 digits always fit a long; longer ones are left to the regex path, which throws as before.
            if (digits == 0 || digits > 18 || (digits > 1 && text[start] == '0')) return false;
            parts[part++] = long.Parse(text.AsSpan(start, digits), NumberStyles.None, CultureInfo.InvariantCulture);
            start = i + 1;
        }
        if (part != 3) return false;
        version = new SemanticVersion(parts[0], parts[1], parts[2], PreReleaseTag.Empty);
        return true;
    }

    public int CompareTo(SemanticVersion? other) => CompareTo(other, includePreRelease: true);

    public int CompareTo(SemanticVersion? other, bool includePreRelease)
    {
        if (other is null) return 1;
        var c = Major.CompareTo(other.Major);
        if (c != 0) return c;
        c = Minor.CompareTo(other.Minor);
        if (c != 0) return c;
        c = Patch.CompareTo(other.Patch);
        if (c != 0 || !includePreRelease) return c;
        if (!PreRelease.HasTag && !other.PreRelease.HasTag) return 0;
        if (!PreRelease.HasTag) return 1;
        if (!other.PreRelease.HasTag) return -1;
        c = string.Compare(PreRelease.Name, other.PreRelease.Name, StringComparison.OrdinalIgnoreCase);
        if (c != 0) return c;
        return Nullable.Compare(PreRelease.Number, other.PreRelease.Number);
    }

    public bool IsLessThan(SemanticVersion? other, bool includePreRelease) => other is not null && CompareTo(other, includePreRelease) < 0;

    /// <summary>Same version and pre-release tag; build metadata is ignored.</summary>
    public bool SameAs(SemanticVersion other) => CompareTo(other, true) == 0 && PreRelease.Matches(other.PreRelease);

    /// <summary>True when a tag with this version belongs to a branch whose label is <paramref name="label"/> (null matches every label).</summary>
    public bool MatchesLabel(string? label) =>
        (PreRelease.Name.Length == 0 && PreRelease.Number is null) || label is null ||
        (PreRelease.HasTag && string.Equals(PreRelease.Name, label, StringComparison.OrdinalIgnoreCase));

    /// <summary>Applies an increment the way GitVersion 6 does: a pre-release only moves its number unless forced.</summary>
    public SemanticVersion Increment(VersionField field, string? label, bool force = false, SemanticVersion? alternative = null)
    {
        var major = Major; var minor = Minor; var patch = Patch;
        var number = PreRelease.Number;
        var hasTag = PreRelease.HasTag;
        switch (field)
        {
            case VersionField.None:
                number++;
                break;
            case VersionField.Patch:
                if (hasTag && !force) number++;
                else { patch++; if (number.HasValue) number = 1; }
                break;
            case VersionField.Minor:
                if (hasTag && !force) number++;
                else { minor++; patch = 0; if (number.HasValue) number = 1; }
                break;
            case VersionField.Major:
                if (hasTag && !force) number++;
                else { major++; minor = 0; patch = 0; if (number.HasValue) number = 1; }
                break;
        }
        var result = new SemanticVersion(major, minor, patch, PreReleaseTag.Empty);
        var foundAlternative = false;
        if (alternative is not null && result.IsLessThan(alternative, includePreRelease: false))
        {
            result = alternative;
            foundAlternative = true;
        }
        if (foundAlternative && field == VersionField.None) number = 1;
        string name;
        if (hasTag) name = PreRelease.Name;
        else { number = 1; name = string.Empty; }
        if (label is not null && name != label) { number = 1; name = label; }
        return new SemanticVersion(result.Major, result.Minor, result.Patch, new PreReleaseTag(name, number, true), BuildMetadata);
    }
}
