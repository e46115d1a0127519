using LibGit2Sharp;

namespace Capstan.Flow.Versioning;

/// <summary>The commits reachable from a repository's branches and tags, held as integer-indexed arrays for fast walks.</summary>
internal sealed class CommitGraph : IDisposable
{
    private readonly string[] shas;
    private readonly int count;
    // Names, messages and zones read from git's commit-graph file and the object files instead of held (see GitGraphHistory).
    private readonly GitGraphCommits? mapped;
    // Parents of commit i are parentList[parentStart[i]..parentStart[i + 1]]: two arrays instead of one per commit.
    private readonly int[] parentStart;
    private readonly int[] parentList;
    private readonly DateTimeOffset[] when;
    private readonly CommitMessages messages;
    private readonly Dictionary<string, int> index;
    // The graph this one was built on (see Build): its commits follow the new ones, and its index is asked first.
    private CommitGraph? older;
    private readonly Dictionary<int, bool[]> ancestorCache = [];
    private readonly Dictionary<int, List<int>> mergesCache = [];
    private readonly int[] generation;
    private readonly int[] visitStamp;
    private int stamp;
    private readonly Dictionary<(int, int), int?> mergeBaseCache = [];

    private CommitGraph(string[] shas, int[] parentStart, int[] parentList, DateTimeOffset[] when, CommitMessages messages, int[] generation, Dictionary<string, int> index)
    {
        this.shas = shas;
        this.parentStart = parentStart;
        this.parentList = parentList;
        this.when = when;
        this.messages = messages;
        this.index = index;
        this.generation = generation;
        count = shas.Length;
        visitStamp = new int[count];
        ComputeMissingGenerations();
    }

    /// <summary>A graph whose commits are named by <paramref name="mapped"/> rather than held as strings.</summary>
    internal CommitGraph(GitGraphCommits mapped, int[] parentStart, int[] parentList, DateTimeOffset[] when, CommitMessages messages, int[] generation)
    {
        this.mapped = mapped;
        shas = [];
        index = [];
        count = when.Length;
        this.parentStart = parentStart;
        this.parentList = parentList;
        this.when = when;
        this.messages = messages;
        this.generation = generation;
        visitStamp = new int[count];
        ComputeMissingGenerations();
    }

    /// <summary>
    /// Generation numbers (1 + the highest parent's) let reachability checks stop early, as commit-graph does in git.
    /// Known commits keep theirs (new commits are never their parents); the rest are found depth first, parents before children.
    /// </summary>
    private void ComputeMissingGenerations()
    {
        var stack = new Stack<int>();
        for (var start = 0; start < count; start++)
        {
            if (generation[start] != 0) continue;
            stack.Push(start);
            while (stack.Count > 0)
            {
                var c = stack.Peek();
                var ready = true;
                var g = 0;
                foreach (var p in Parents(c))
                {
                    if (generation[p] == 0) { ready = false; stack.Push(p); }
                    else g = Math.Max(g, generation[p]);
                }
                if (!ready) continue;
                stack.Pop();
                generation[c] = g + 1;
            }
        }
    }

    /// <summary>
    /// Builds the graph from commits newest first (<paramref name="fresh"/>, as git log prints them) followed by already
    /// known ones (<paramref name="known"/>), keeping git log's order: new commits are the children, so they come first.
    /// </summary>
    private static CommitGraph Build(List<CommitRecord> fresh, CommitGraph? known)
    {
        var k = fresh.Count;
        var old = known?.Count ?? 0;
        var n = k + old;
        var shas = new string[n];
        var when = new DateTimeOffset[n];
        var freshMessages = new string[k];
        var generation = new int[n];
        var index = new Dictionary<string, int>(k, StringComparer.Ordinal);
        for (var i = 0; i < k; i++)
        {
            shas[i] = fresh[i].Sha;
            index[shas[i]] = i;
            when[i] = fresh[i].When;
            freshMessages[i] = fresh[i].Message;
        }
        if (known is not null)
        {
            Array.Copy(known.shas, 0, shas, k, old);
            Array.Copy(known.when, 0, when, k, old);
            Array.Copy(known.generation, 0, generation, k, old);
        }
        var freshParents = 0;
        foreach (var c in fresh) freshParents += c.Parents.Length;
        var oldParents = known?.parentList.Length ?? 0;
        var parentStart = new int[n + 1];
        var parentList = new int[freshParents + oldParents];
        var at = 0;
        for (var i = 0; i < k; i++)
        {
            parentStart[i] = at;
            foreach (var p in fresh[i].Parents)
                if (Find(p, index, known, k) is { } pi) parentList[at++] = pi; // parents outside the walk (shallow) are left out
        }
        if (known is not null)
        {
            for (var j = 0; j <= old; j++) parentStart[k + j] = known.parentStart[j] + at;
            for (var j = 0; j < oldParents; j++) parentList[at + j] = known.parentList[j] + k;
        }
        else parentStart[n] = at;
        if (at + oldParents != parentList.Length) Array.Resize(ref parentList, at + oldParents);
        var messages = known is null ? CommitMessages.FromStrings(freshMessages) : known.messages.After(freshMessages);
        return new CommitGraph(shas, parentStart, parentList, when, messages, generation, index) { older = known };
    }

    /// <summary>
    /// A commit's index: in the known graph first (shifted past the <paramref name="k"/> new commits, and winning
    /// should git have listed a known commit again), then among the new ones. The known graph's index is kept as it
    /// is rather than copied: at 100,000 commits rebuilding it was a tenth of a version after one new commit.
    /// </summary>
    private static int? Find(string sha, Dictionary<string, int> index, CommitGraph? known, int k) =>
        known?.IndexOf(sha) is { } j ? j + k : index.TryGetValue(sha, out var i) ? i : null;

    public int Count => count;

    /// <summary>
    /// Reads every commit reachable from <paramref name="tips"/>: from the object files in-process (<see cref="DirectHistory"/>),
    /// or through git log where that reader cannot promise git's answer — git's own walk is several times faster and
    /// leaner than materialising each commit through libgit2, which matters at 100k commits. With <paramref name="cacheFile"/> the
    /// commits read last time are loaded from it and git walks only the commits that are new since then.
    /// </summary>
    public static CommitGraph Load(Repository repository, IEnumerable<string> tips, string? cacheFile = null)
    {
        var wanted = tips.Distinct(StringComparer.Ordinal).ToList();
        // git's commit-graph file, where there is one, gives every commit's parents and date without inflating it: no
        // saved graph is read or written then, and messages are read only where a rule reads them.
        if (GitGraphHistory.TryLoad(repository, wanted) is { } fromGit)
        {
            // The saved graph no longer pays for itself then (at a million commits it is ~90 MB).
            if (cacheFile is not null && File.Exists(cacheFile))
                try { File.Delete(cacheFile); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // read-only: left as it is
            return fromGit;
        }
        var cached = cacheFile is null ? null : CommitGraphFile.TryRead(cacheFile);
        if (cached is not null)
        {
            var missing = wanted.Where(t => cached.Graph.IndexOf(t) is null).ToList();
            if (missing.Count == 0) return cached.Graph;
            // Only the commits the cache does not hold, read from the object files and stopping at known commits (the
            // cache holds every ancestor of what it holds); through git where that reader cannot promise git's answer.
            // There, old tips that were deleted (and maybe pruned since) make git refuse, and everything is read again.
            var known = cached.Graph;
            var fresh = DirectHistory.TryRead(repository.Info.Path, missing, sha => known.IndexOf(sha) is not null)
                ?? ReadCommits(repository, missing.Concat(cached.Tips.Select(t => "^" + t)), throwOnError: false);
            if (fresh is not null)
            {
                var graph = Build(fresh, cached.Graph);
                CommitGraphFile.Write(cacheFile!, graph, wanted);
                return graph;
            }
        }
        // Read in-process where that gives exactly what git log prints; git itself otherwise.
        var commits = DirectHistory.TryRead(repository.Info.Path, wanted) ?? ReadCommits(repository, wanted, throwOnError: true)!;
        var all = Build(commits, null);
        if (cacheFile is not null) CommitGraphFile.Write(cacheFile, all, wanted);
        return all;
    }

    /// <summary>Creates a graph from the arrays a cache file holds.</summary>
    internal static CommitGraph FromArrays(string[] shas, int[] parentStart, int[] parentList, DateTimeOffset[] when, CommitMessages messages, int[] generation)
    {
        var index = new Dictionary<string, int>(shas.Length, StringComparer.Ordinal);
        for (var i = 0; i < shas.Length; i++) index[shas[i]] = i;
        return new CommitGraph(shas, parentStart, parentList, when, messages, generation, index);
    }

    internal static List<CommitRecord>? ReadCommits(Repository repository, IEnumerable<string> revisions, bool throwOnError)
    {
        var commits = new List<CommitRecord>();
        System.Diagnostics.Process process;
        // %ct and the zone at the end of %ci are parsed as integers; the body comes last so it may contain anything but NUL.
        try
        {
            process = GitRunner.Start(repository.Info.Path, repository.Info.WorkingDirectory ?? repository.Info.Path,
                ["log", "-z", "--no-color", "--format=%H %ct %ci%x01%P%x01%B", "--stdin"], input: true,
                [new("GIT_CONFIG_PARAMETERS", "'log.showSignature=false'")]);
        }
        catch (InvalidOperationException ex) { throw new FlowException(ex.Message); }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            var writer = Task.Run(() =>
            {
                try
                {
                    foreach (var revision in revisions) process.StandardInput.WriteLine(revision);
                    process.StandardInput.Close();
                }
                catch (IOException) { } // git stopped reading: it failed, and its exit code says so
            });
            // Bytes, not text: records are split at NUL with a vectorised search and only messages are decoded as UTF-8.
            var stream = process.StandardOutput.BaseStream;
            var buffer = new byte[1 << 20];
            var filled = 0;
            int read;
            while ((read = stream.Read(buffer, filled, buffer.Length - filled)) > 0)
            {
                filled += read;
                var start = 0;
                int nul;
                while ((nul = buffer.AsSpan(start, filled - start).IndexOf((byte)0)) >= 0)
                {
                    commits.Add(Parse(buffer.AsSpan(start, nul)));
                    start += nul + 1;
                }
                Array.Copy(buffer, start, buffer, 0, filled - start);
                filled -= start;
                if (filled == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2); // a message longer than the buffer
            }
            if (buffer.AsSpan(0, filled).Trim((byte)'\n').Length > 0) commits.Add(Parse(buffer.AsSpan(0, filled)));
            writer.Wait();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                if (!throwOnError) return null;
                throw new FlowException($"Reading the history failed: {stderr.Result.Trim()} Check that the repository is intact ('git fsck').");
            }
        }
        return commits;
    }

    private static CommitRecord Parse(ReadOnlySpan<byte> record)
    {
        record = record.TrimStart((byte)'\n');
        var first = record.IndexOf((byte)1);
        var head = record[..first];
        var rest = record[(first + 1)..];
        var second = rest.IndexOf((byte)1);
        var parentText = rest[..second];
        var message = System.Text.Encoding.UTF8.GetString(rest[(second + 1)..]);
        // "<sha> <unix seconds> <yyyy-mm-dd hh:mm:ss +hhmm>"; object names are 40 (SHA-1) or 64 (SHA-256) hex digits.
        var shaEnd = head.IndexOf((byte)' ');
        var sha = System.Text.Encoding.ASCII.GetString(head[..shaEnd]);
        var afterSha = head[(shaEnd + 1)..];
        var space = afterSha.IndexOf((byte)' ');
        if (!System.Buffers.Text.Utf8Parser.TryParse(afterSha[..space], out long seconds, out _))
            throw new FlowException("git printed a commit date Capstan cannot read. Check that the repository is intact ('git fsck').");
        if (!CommitDecoder.TryZone(afterSha[^5..], out var offset))
            throw new FlowException("git printed a commit date Capstan cannot read. Check that the repository is intact ('git fsck').");
        var when = DateTimeOffset.FromUnixTimeSeconds(seconds).ToOffset(offset);
        string[] parents;
        if (parentText.Length == 0) parents = [];
        else
        {
            var width = shaEnd + 1;
            parents = new string[(parentText.Length + 1) / width];
            for (var i = 0; i < parents.Length; i++) parents[i] = System.Text.Encoding.ASCII.GetString(parentText.Slice(i * width, shaEnd));
        }
        return new CommitRecord(sha, parents, when, message);
    }

    internal sealed record CommitRecord(string Sha, string[] Parents, DateTimeOffset When, string Message);

    internal string[] ShaArray => mapped is null ? shas : throw new InvalidOperationException("A graph read from git's commit-graph file is not saved.");
    internal int[] ParentStartArray => parentStart;
    internal int[] ParentListArray => parentList;
    internal DateTimeOffset[] WhenArray => when;
    internal CommitMessages Messages => messages;
    internal int[] GenerationArray => generation;

    public int? IndexOf(string sha) => mapped is not null ? mapped.IndexOf(sha) : Find(sha, index, older, shas.Length - (older?.Count ?? 0));
    public string Sha(int i) => mapped is not null ? mapped.Sha(i) : shas[i];

    /// <summary>The committer date, for comparisons (a graph read from git's commit-graph file holds it in UTC).</summary>
    public DateTimeOffset When(int i) => when[i];

    /// <summary>The committer date in the committer's zone, as git prints it.</summary>
    public DateTimeOffset CommitTime(int i) => mapped is not null ? mapped.CommitTime(i) : when[i];

    public void Dispose() => mapped?.Dispose();
    public string Message(int i) => messages[i];

    /// <summary>Whether commit <paramref name="i"/>'s message contains <paramref name="ascii"/>, ignoring case (see <see cref="CommitMessages.Contains"/>).</summary>
    public bool MessageContains(int i, string ascii) => messages.Contains(i, ascii);
    public ReadOnlySpan<int> Parents(int i) => new(parentList, parentStart[i], parentStart[i + 1] - parentStart[i]);

    /// <summary>Every commit reachable from <paramref name="tip"/>, itself included.</summary>
    public bool[] Ancestors(int tip)
    {
        if (ancestorCache.TryGetValue(tip, out var cached)) return cached;
        var seen = new bool[count];
        var stack = new Stack<int>();
        stack.Push(tip);
        seen[tip] = true;
        while (stack.Count > 0)
        {
            var c = stack.Pop();
            foreach (var p in Parents(c))
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

    /// <summary>Every commit reachable from any of <paramref name="tips"/>, themselves included; one walk however many tips.</summary>
    public bool[] AncestorsOfAll(IReadOnlyList<int> tips)
    {
        if (tips.Count == 1) return Ancestors(tips[0]);
        var seen = new bool[count];
        var stack = new Stack<int>();
        foreach (var tip in tips)
        {
            if (seen[tip]) continue;
            seen[tip] = true;
            stack.Push(tip);
            while (stack.Count > 0)
                foreach (var p in Parents(stack.Pop()))
                    if (!seen[p]) { seen[p] = true; stack.Push(p); }
        }
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
            foreach (var p in Parents(stack.Pop()))
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

    /// <summary>Merge commits reachable from <paramref name="tip"/>, newest first by committer date (ties in graph order).</summary>
    public List<int> MergesNewestFirst(int tip)
    {
        if (mergesCache.TryGetValue(tip, out var list)) return list;
        var reach = Ancestors(tip);
        list = [];
        for (var i = 0; i < count; i++)
            if (reach[i] && parentStart[i + 1] - parentStart[i] > 1) list.Add(i);
        return mergesCache[tip] = NewestFirst(list);
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
            foreach (var p in Parents(c))
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
