using System.Globalization;

namespace Capstan.Indicators.Sources;

/// <summary>
/// A source repository's commit graph and tags in memory (read once with two git commands), so the changes
/// between two deployed versions are found without a git call per deploy.
/// </summary>
public sealed class SourceRepository
{
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly List<string> _shas = [];
    private readonly List<long> _times = [];
    private readonly List<int[]> _parents = [];
    private readonly Dictionary<string, string> _tags = new(StringComparer.Ordinal);

    public string Name { get; }
    public int CommitCount => _shas.Count;
    public IReadOnlyDictionary<string, string> Tags => _tags;

    public SourceRepository(string name, string log, string tags)
    {
        Name = name;
        var lines = log.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var parentShas = new List<string[]>(lines.Length);
        foreach (var line in lines)
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2 || _index.ContainsKey(parts[0])) continue;
            _index[parts[0]] = _shas.Count;
            _shas.Add(parts[0]);
            _times.Add(long.Parse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture));
            parentShas.Add(parts[2..]);
        }
        foreach (var ps in parentShas) _parents.Add(ps.Select(p => _index.TryGetValue(p, out var i) ? i : -1).Where(i => i >= 0).ToArray());
        foreach (var line in tags.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2) continue;
            var target = parts.Length > 2 && _index.ContainsKey(parts[2]) ? parts[2] : parts[1]; // annotated tags peel to their commit
            if (_index.ContainsKey(target)) _tags[parts[0]] = target;
        }
    }

    /// <summary>The commit a version's tag points at (tag vX.Y.Z or X.Y.Z), or null.</summary>
    public string? CommitOf(string version) =>
        _tags.TryGetValue("v" + version, out var c) || _tags.TryGetValue(version, out c) ? c : null;

    /// <summary>The highest tagged version below <paramref name="version"/>, for a first deploy with no earlier one to compare with.</summary>
    public string? VersionBefore(string version, IComparer<string> order) =>
        _tags.Keys.Select(t => t.StartsWith('v') ? t[1..] : t).Where(v => Core.Commands.SemanticVersionText.IsValid(v) && order.Compare(v, version) < 0)
            .OrderByDescending(v => v, order).FirstOrDefault();

    public DateTimeOffset TimeOf(string sha) => DateTimeOffset.FromUnixTimeSeconds(_times[_index[sha]]);

    /// <summary>
    /// Commits reachable from <paramref name="to"/> but not from <paramref name="from"/> (git log from..to), walked
    /// newest first and stopping once every commit still queued is reachable from <paramref name="from"/>, as git's
    /// merge-base walk does: the cost follows the size of the change, not of the history.
    /// </summary>
    public IReadOnlyList<(string Sha, DateTimeOffset At)> Between(string? from, string to)
    {
        const byte Mine = 1, Theirs = 2;
        var flags = new Dictionary<int, byte>();
        var done = new HashSet<int>();
        var queue = new PriorityQueue<int, (long, int)>();
        var mineQueued = 0; // queued commits reachable only from `to`: while there are none, nothing more can be in the result
        void Push(int c, byte f)
        {
            var had = flags.GetValueOrDefault(c);
            var now = (byte)(had | f);
            if (now == had) return;
            flags[c] = now;
            if (done.Contains(c)) return; // only with clock skew (a parent newer than its child); the walk stays bounded
            if (had == 0)
            {
                queue.Enqueue(c, (-_times[c], -c));
                if (now == Mine) mineQueued++;
            }
            else if (had == Mine) mineQueued--;
        }
        Push(_index[to], Mine);
        if (from is not null && _index.TryGetValue(from, out var f0)) Push(f0, Theirs);
        var result = new List<(string, DateTimeOffset)>();
        while (queue.Count > 0 && mineQueued > 0)
        {
            var c = queue.Dequeue();
            done.Add(c);
            var fl = flags[c];
            if (fl == Mine)
            {
                mineQueued--;
                result.Add((_shas[c], DateTimeOffset.FromUnixTimeSeconds(_times[c])));
            }
            foreach (var p in _parents[c]) Push(p, fl);
        }
        return result;
    }
}
