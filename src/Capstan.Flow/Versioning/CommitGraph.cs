using LibGit2Sharp;

namespace Capstan.Flow.Versioning;

/// <summary>The commits reachable from a repository's branches and tags, held as integer-indexed arrays for fast walks.</summary>
internal sealed class CommitGraph
{
    private readonly string[] shas;
    private readonly int[][] parents;
    private readonly DateTimeOffset[] when;
    private readonly string[] messages;
    private readonly Dictionary<string, int> index;
    private readonly Dictionary<int, bool[]> ancestorCache = [];
    private readonly Dictionary<int, List<int>> historyCache = [];
    private readonly int[] generation;
    private readonly int[] visitStamp;
    private int stamp;
    private readonly Dictionary<(int, int), int?> mergeBaseCache = [];

    private CommitGraph(List<(string Sha, string[] Parents, DateTimeOffset When, string Message)> commits)
    {
        var n = commits.Count;
        shas = new string[n];
        parents = new int[n][];
        when = new DateTimeOffset[n];
        messages = new string[n];
        index = new Dictionary<string, int>(n, StringComparer.Ordinal);
        for (var i = 0; i < n; i++)
        {
            shas[i] = commits[i].Sha;
            index[shas[i]] = i;
        }
        for (var i = 0; i < n; i++)
        {
            var c = commits[i];
            when[i] = c.When;
            messages[i] = c.Message;
            var ps = new int[c.Parents.Length];
            var k = 0;
            foreach (var p in c.Parents)
                if (index.TryGetValue(p, out var pi)) ps[k++] = pi;
            parents[i] = k == ps.Length ? ps : ps[..k];
        }
        // Generation numbers (1 + the highest parent's) let reachability checks stop early, as commit-graph does in git.
        generation = new int[n];
        visitStamp = new int[n];
        var order = TopologicalParentsFirst();
        foreach (var i in order)
        {
            var g = 0;
            foreach (var p in parents[i]) g = Math.Max(g, generation[p]);
            generation[i] = g + 1;
        }
    }

    private List<int> TopologicalParentsFirst()
    {
        var n = shas.Length;
        var pending = new int[n];
        for (var i = 0; i < n; i++) pending[i] = parents[i].Length;
        var children = new List<int>[n];
        for (var i = 0; i < n; i++)
            foreach (var p in parents[i]) (children[p] ??= []).Add(i);
        var queue = new Queue<int>();
        for (var i = 0; i < n; i++) if (pending[i] == 0) queue.Enqueue(i);
        var order = new List<int>(n);
        while (queue.Count > 0)
        {
            var c = queue.Dequeue();
            order.Add(c);
            if (children[c] is null) continue;
            foreach (var child in children[c])
                if (--pending[child] == 0) queue.Enqueue(child);
        }
        return order;
    }

    public int Count => shas.Length;

    /// <summary>
    /// Reads every commit reachable from <paramref name="tips"/> in one "git log" run. git's own walk (with its commit-graph file when
    /// present) is several times faster and leaner than materialising each commit through libgit2, which matters at 100k commits.
    /// </summary>
    public static CommitGraph Load(Repository repository, IEnumerable<string> tips)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("git")
        {
            WorkingDirectory = repository.Info.WorkingDirectory ?? repository.Info.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = System.Text.Encoding.UTF8,
        };
        psi.ArgumentList.Add("--git-dir=" + repository.Info.Path);
        foreach (var a in new[] { "log", "-z", "--no-color", "--format=%H%x01%P%x01%cI%x01%B", "--stdin" }) psi.ArgumentList.Add(a);
        psi.Environment["GIT_CONFIG_PARAMETERS"] = "'log.showSignature=false'";
        var commits = new List<(string, string[], DateTimeOffset, string)>();
        System.Diagnostics.Process process;
        try { process = System.Diagnostics.Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new FlowException("The git command was not found. Install git (for example 'apt-get install git') and try again.");
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            var writer = Task.Run(() =>
            {
                foreach (var tip in tips.Distinct()) process.StandardInput.WriteLine(tip);
                process.StandardInput.Close();
            });
            var reader = process.StandardOutput;
            var record = new System.Text.StringBuilder();
            var buffer = new char[1 << 16];
            int read;
            while ((read = reader.Read(buffer, 0, buffer.Length)) > 0)
            {
                var start = 0;
                for (var i = 0; i < read; i++)
                {
                    if (buffer[i] != '\0') continue;
                    record.Append(buffer, start, i - start);
                    commits.Add(Parse(record.ToString()));
                    record.Clear();
                    start = i + 1;
                }
                record.Append(buffer, start, read - start);
            }
            if (record.Length > 0 && record.ToString().Trim().Length > 0) commits.Add(Parse(record.ToString()));
            writer.Wait();
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new FlowException($"Reading the history failed: {stderr.Result.Trim()} Check that the repository is intact ('git fsck').");
        }
        return new CommitGraph(commits);
    }

    private static (string, string[], DateTimeOffset, string) Parse(string record)
    {
        var f = record.Split('\x01', 4);
        var sha = f[0].TrimStart('\n');
        var parents = f[1].Length == 0 ? [] : f[1].Split(' ');
        var when = DateTimeOffset.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture);
        return (sha, parents, when, f.Length > 3 ? f[3] : "");
    }

    public int? IndexOf(string sha) => index.TryGetValue(sha, out var i) ? i : null;
    public string Sha(int i) => shas[i];
    public DateTimeOffset When(int i) => when[i];
    public string Message(int i) => messages[i];
    public int[] Parents(int i) => parents[i];

    /// <summary>Every commit reachable from <paramref name="tip"/>, itself included.</summary>
    public bool[] Ancestors(int tip)
    {
        if (ancestorCache.TryGetValue(tip, out var cached)) return cached;
        var seen = new bool[shas.Length];
        var stack = new Stack<int>();
        stack.Push(tip);
        seen[tip] = true;
        while (stack.Count > 0)
        {
            var c = stack.Pop();
            foreach (var p in parents[c])
            {
                if (seen[p]) continue;
                seen[p] = true;
                stack.Push(p);
            }
        }
        if (ancestorCache.Count > 64) ancestorCache.Clear();
        ancestorCache[tip] = seen;
        return seen;
    }

    /// <summary>True when <paramref name="ancestor"/> is <paramref name="of"/> or reachable from it; walks only commits newer than the candidate.</summary>
    public bool IsAncestor(int ancestor, int of)
    {
        if (ancestor == of) return true;
        if (generation[ancestor] >= generation[of]) return false;
        if (ancestorCache.TryGetValue(of, out var cached)) return cached[ancestor];
        stamp++;
        var stack = new Stack<int>();
        stack.Push(of);
        visitStamp[of] = stamp;
        var floor = generation[ancestor];
        while (stack.Count > 0)
        {
            foreach (var p in parents[stack.Pop()])
            {
                if (p == ancestor) return true;
                if (visitStamp[p] == stamp || generation[p] <= floor) continue;
                visitStamp[p] = stamp;
                stack.Push(p);
            }
        }
        return false;
    }

    /// <summary>Commits reachable from <paramref name="head"/> and not from <paramref name="source"/>, newest first.</summary>
    public List<int> Between(int? source, int head)
    {
        var inHead = Ancestors(head);
        var inSource = source is { } s ? Ancestors(s) : null;
        var result = new List<int>();
        for (var i = 0; i < inHead.Length; i++)
            if (inHead[i] && (inSource is null || !inSource[i])) result.Add(i);
        return result;
    }

    public int CountBetween(int? source, int head)
    {
        var inHead = Ancestors(head);
        var inSource = source is { } s ? Ancestors(s) : null;
        var count = 0;
        for (var i = 0; i < inHead.Length; i++)
            if (inHead[i] && (inSource is null || !inSource[i])) count++;
        return count;
    }

    /// <summary>Commits reachable from <paramref name="tip"/> ordered newest first by committer date.</summary>
    public List<int> History(int tip)
    {
        if (!historyCache.TryGetValue(tip, out var list)) historyCache[tip] = list = NewestFirst(Between(null, tip));
        return list;
    }

    /// <summary>Sorts <paramref name="list"/> newest first by committer date, keeping walk order on ties.</summary>
    public List<int> NewestFirst(List<int> list)
    {
        list.Sort((a, b) =>
        {
            var c = when[b].CompareTo(when[a]);
            return c != 0 ? c : a.CompareTo(b);
        });
        return list;
    }

    /// <summary>The best common ancestor of two commits, found by painting down from both in generation order (git's algorithm).</summary>
    public int? MergeBase(int a, int b)
    {
        if (a == b) return a;
        var key = a < b ? (a, b) : (b, a);
        if (mergeBaseCache.TryGetValue(key, out var cached)) return cached;
        if (IsAncestor(a, b)) return mergeBaseCache[key] = a;
        if (IsAncestor(b, a)) return mergeBaseCache[key] = b;
        const byte Left = 1, Right = 2, Stale = 4;
        var flags = new Dictionary<int, byte>();
        var queue = new PriorityQueue<int, (int, long)>();
        void Push(int c) => queue.Enqueue(c, (-generation[c], -when[c].UtcTicks));
        flags[a] = Left;
        flags[b] = Right;
        Push(a);
        Push(b);
        var results = new List<int>();
        bool HasNonStale()
        {
            foreach (var (element, _) in queue.UnorderedItems)
                if ((flags[element] & Stale) == 0) return true;
            return false;
        }
        while (queue.Count > 0 && HasNonStale())
        {
            var c = queue.Dequeue();
            var paint = (byte)(flags[c] & (Left | Right | Stale));
            if (paint == (Left | Right))
            {
                if (!results.Contains(c)) results.Add(c);
                paint |= Stale;
                flags[c] |= Stale;
            }
            foreach (var p in parents[c])
            {
                var pf = flags.GetValueOrDefault(p);
                if ((pf & paint) == paint) continue;
                flags[p] = (byte)(pf | paint);
                Push(p);
            }
        }
        var best = results.Where(r => !results.Any(o => o != r && IsAncestor(r, o)))
            .OrderByDescending(r => generation[r]).ThenByDescending(r => when[r]).Cast<int?>().FirstOrDefault();
        mergeBaseCache[key] = best;
        return best;
    }
}
