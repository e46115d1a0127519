using Semver;

namespace Capstan.Core;

/// <summary>
/// Orders versions by Semantic Versioning 2.0.0 precedence (Semver library): 1.2.0 &lt; 1.10.0, a pre-release sorts
/// before its release, numeric identifiers compare as numbers (rc.2 &lt; rc.10) and sort before alphanumeric ones,
/// and build metadata is ignored. Lenient about a leading "v" and a missing minor or patch ("1.2" is 1.2.0).
/// </summary>
public sealed class SemanticVersionOrder : IComparer<string>
{
    public static readonly SemanticVersionOrder Instance = new();

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null || y is null) return string.CompareOrdinal(x, y);
        var xv = Parse(x);
        var yv = Parse(y);
        // A name that is no version at all (config accepts any key) sorts after every version, by its text among its kind.
        if (xv is null || yv is null) return xv is null && yv is null ? string.CompareOrdinal(x, y) : xv is null ? 1 : -1;
        var c = SemVersion.ComparePrecedence(xv, yv);
        // Equal precedence (1.0.0+a and 1.0.0+b) still needs a stable order for lists users read.
        return c != 0 ? c : string.CompareOrdinal(x, y);
    }

    private static SemVersion? Parse(string v) =>
        SemVersion.TryParse(v.Trim(), SemVersionStyles.Any, out var parsed) ? parsed : null;
}
