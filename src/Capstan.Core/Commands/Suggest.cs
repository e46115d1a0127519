namespace Capstan.Core.Commands;

/// <summary>Finds the known name nearest to a mistyped one, for "did you mean …" answers.</summary>
public static class Suggest
{
    public static string? Nearest(string typed, IEnumerable<string> known)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        var t = typed.ToLowerInvariant();
        foreach (var k in known)
        {
            var d = Distance(t, k.ToLowerInvariant());
            if (d < bestDistance) { best = k; bestDistance = d; }
        }
        var allowed = Math.Max(1, Math.Min(3, typed.Length / 3));
        if (best is not null && bestDistance <= allowed) return best;
        return known.FirstOrDefault(k => k.Length >= 3 && t.Length >= 3 && (k.StartsWith(t, StringComparison.OrdinalIgnoreCase) || t.StartsWith(k, StringComparison.OrdinalIgnoreCase)));
    }

    /// <summary>Optimal string alignment distance (Levenshtein plus adjacent transpositions).</summary>
    public static int Distance(string a, string b)
    {
        if (a.Length > 64 || b.Length > 64) return int.MaxValue;
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }
}
