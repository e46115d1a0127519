namespace Capstan.Core;

/// <summary>Orders semantic versions (1.2.0 &lt; 1.10.0; a pre-release sorts before its release).</summary>
public sealed class SemanticVersionOrder : IComparer<string>
{
    public static readonly SemanticVersionOrder Instance = new();

    public int Compare(string? x, string? y)
    {
        if (x is null || y is null) return string.CompareOrdinal(x, y);
        var (xc, xp) = Split(x);
        var (yc, yp) = Split(y);
        for (var i = 0; i < 3; i++)
        {
            var c = Part(xc, i).CompareTo(Part(yc, i));
            if (c != 0) return c;
        }
        if (xp is null) return yp is null ? 0 : 1;
        if (yp is null) return -1;
        return string.CompareOrdinal(xp, yp);
    }

    private static (string[] Core, string? Pre) Split(string v)
    {
        v = v.Split('+')[0];
        var dash = v.IndexOf('-');
        return dash < 0 ? (v.Split('.'), null) : (v[..dash].Split('.'), v[(dash + 1)..]);
    }

    private static long Part(string[] parts, int i) =>
        i < parts.Length && long.TryParse(parts[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 0;
}
