using System.Globalization;
using System.Text;

namespace Capstan.Flow.Tests.Support;

/// <summary>
/// Writes a Git history as one git fast-import stream, so a generated repository costs three git processes instead of
/// one per commit. Commits and annotated tags are one minute apart; merge messages are exactly what "git merge" writes.
/// </summary>
public sealed class FastImportHistory
{
    private const string NullSha = "0000000000000000000000000000000000000000";
    private readonly StringBuilder stream = new();
    private readonly Dictionary<string, int> branches = new(StringComparer.Ordinal);
    private readonly HashSet<string> deleted = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (int Mark, string? Message)> tags = new(StringComparer.Ordinal);
    private long time = new DateTimeOffset(2024, 1, 1, 9, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds();
    private int mark;

    /// <summary>The branch the repository checks out at the end; merges name their target like git does ("into develop").</summary>
    public string Head { get; private set; } = "main";

    public IEnumerable<string> Branches => branches.Keys;

    public bool Exists(string branch) => branches.ContainsKey(branch);

    public bool HasTag(string name) => tags.ContainsKey(name);

    /// <summary>A commit on <paramref name="branch"/> (created, without parents, when it does not exist yet).</summary>
    public FastImportHistory Commit(string branch, string message)
    {
        var parents = branches.TryGetValue(branch, out var tip) ? new[] { tip } : [];
        branches[branch] = Write(branch, message, parents);
        Head = branch;
        return this;
    }

    /// <summary>"git checkout -b <paramref name="branch"/> <paramref name="from"/>": from a branch or a tag.</summary>
    public FastImportHistory Start(string branch, string from)
    {
        branches[branch] = branches.TryGetValue(from, out var tip) ? tip : tags[from].Mark;
        deleted.Remove(branch);
        Head = branch;
        return this;
    }

    /// <summary>"git merge --no-ff <paramref name="source"/>" on <paramref name="target"/>; the source is a branch or a tag.</summary>
    public FastImportHistory Merge(string target, string source)
    {
        string message;
        int sourceMark;
        if (branches.TryGetValue(source, out var b))
        {
            sourceMark = b;
            message = $"Merge branch '{source}'";
        }
        else
        {
            var tag = tags[source];
            sourceMark = tag.Mark;
            message = $"Merge tag '{source}'";
        }
        // git leaves " into <branch>" out when merging into main or master (merge.suppressDest).
        if (target is not ("main" or "master")) message += $" into {target}";
        if (!branches.ContainsKey(source) && tags[source].Message is { } annotation) message += "\n\n" + annotation;
        branches[target] = Write(target, message, [branches[target], sourceMark]);
        Head = target;
        return this;
    }

    /// <summary>"git merge --ff-only <paramref name="source"/>" on <paramref name="target"/>.</summary>
    public FastImportHistory FastForward(string target, string source)
    {
        branches[target] = branches[source];
        Head = target;
        return this;
    }

    /// <summary>A lightweight tag, or an annotated one when <paramref name="message"/> is given, on the tip of <paramref name="branch"/>.</summary>
    public FastImportHistory Tag(string name, string branch, string? message = null)
    {
        var target = branches[branch];
        if (message is null)
        {
            stream.Append(CultureInfo.InvariantCulture, $"reset refs/tags/{name}\nfrom :{target}\n\n");
        }
        else
        {
            time += 60;
            var data = Encoding.UTF8.GetByteCount(message + "\n");
            stream.Append(CultureInfo.InvariantCulture, $"tag {name}\nfrom :{target}\ntagger Test Person <test@example.com> {time} +0000\ndata {data}\n{message}\n\n");
        }
        tags[name] = (target, message);
        return this;
    }

    public FastImportHistory Delete(string branch)
    {
        branches.Remove(branch);
        deleted.Add(branch);
        return this;
    }

    /// <summary>Imports the history into the empty repository at <paramref name="path"/> and checks out <see cref="Head"/>.</summary>
    public void Import(string path)
    {
        var text = new StringBuilder(stream.ToString());
        foreach (var (name, tip) in branches) text.Append(CultureInfo.InvariantCulture, $"reset refs/heads/{name}\nfrom :{tip}\n\n");
        foreach (var name in deleted) text.Append(CultureInfo.InvariantCulture, $"reset refs/heads/{name}\nfrom {NullSha}\n\n");
        var r = Git.RunWithInput(path, null, text.ToString(), "fast-import", "--quiet");
        if (r.ExitCode != 0) throw new InvalidOperationException($"git fast-import failed ({r.ExitCode}): {r.Error}");
        Git.Ok(path, null, "checkout", "-q", "-f", Head);
    }

    private int Write(string branch, string message, int[] parents)
    {
        time += 60;
        var id = ++mark;
        if (!message.EndsWith('\n')) message += "\n";
        var data = Encoding.UTF8.GetByteCount(message);
        stream.Append(CultureInfo.InvariantCulture, $"commit refs/heads/{branch}\nmark :{id}\n");
        stream.Append(CultureInfo.InvariantCulture, $"author Test Person <test@example.com> {time} +0000\ncommitter Test Person <test@example.com> {time} +0000\n");
        stream.Append(CultureInfo.InvariantCulture, $"data {data}\n{message}");
        if (parents.Length > 0) stream.Append(CultureInfo.InvariantCulture, $"from :{parents[0]}\n");
        foreach (var p in parents.Skip(1)) stream.Append(CultureInfo.InvariantCulture, $"merge :{p}\n");
        // Each commit changes its own file, so every commit has a distinct tree as real work does.
        stream.Append(CultureInfo.InvariantCulture, $"M 644 inline file{id}.txt\ndata {id.ToString(CultureInfo.InvariantCulture).Length + 1}\n{id}\n\n");
        return id;
    }
}
