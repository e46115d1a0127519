using Capstan.Core.Commands;

namespace Capstan.Core.Jobs;

/// <summary>
/// What running work sees of its job: report progress and output lines (shown in chat by editing one
/// message, rate-limited), save resume state, and stop when cancelled or out of time.
/// </summary>
public sealed class JobContext
{
    private readonly Lock _gate = new();
    private readonly List<string> _unsaved = [];
    private readonly Queue<string> _tail = new();
    private readonly List<JobTable> _tables = [];
    private readonly Func<string, string> _redact;
    private long _lines;
    private long _saved;
    private string? _resume;

    internal JobContext(JobRecord job, Func<string, string> redact, CancellationToken cancellation, long keptLines = 0)
    {
        _lines = keptLines;
        _saved = keptLines;
        Job = job;
        _redact = redact;
        Cancellation = cancellation;
    }

    public JobRecord Job { get; }
    public CancellationToken Cancellation { get; }

    /// <summary>Percent done (0–100), when the work knows it.</summary>
    public double? Percent { get; private set; }

    /// <summary>A short status such as "312 MB of 1.0 GB, 85 MB/s".</summary>
    public string Status { get; private set; } = "";

    internal bool Dirty { get; private set; }

    public void Report(double? percent, string status)
    {
        lock (_gate)
        {
            Percent = percent is { } p ? Math.Clamp(p, 0, 100) : null;
            Status = _redact(status);
            Dirty = true;
        }
    }

    /// <summary>Adds a line of output (kept in full; the last few are shown in chat).</summary>
    public void Line(string text)
    {
        foreach (var raw in text.ReplaceLineEndings("\n").Split('\n'))
        {
            var line = _redact(raw);
            lock (_gate)
            {
                _lines++;
                if (_lines <= Jobs.MaxOutputLines) _unsaved.Add(line);
                else if (_lines == Jobs.MaxOutputLines + 1) _unsaved.Add($"… output cut after {Jobs.MaxOutputLines} lines");
                _tail.Enqueue(line);
                while (_tail.Count > 5) _tail.Dequeue();
                Dirty = true;
            }
        }
    }

    /// <summary>Saves the state a resumable job needs to carry on after a restart.</summary>
    public void SaveResume(string state)
    {
        lock (_gate) { _resume = state; Dirty = true; }
    }

    /// <summary>Keeps a named result table (a sql step's rows) in full for the job page; chat shows a compact one.</summary>
    public void AddTable(string name, Table table)
    {
        var redacted = table.MapCells(_redact);
        lock (_gate) _tables.Add(new JobTable(name, redacted));
    }

    internal IReadOnlyList<JobTable> Tables() { lock (_gate) return _tables.ToList(); }

    internal IReadOnlyList<string> Tail() { lock (_gate) return _tail.ToList(); }

    internal long LineCount { get { lock (_gate) return _lines; } }

    /// <summary>Takes what must be written: progress, new lines since the last save, and the resume state.</summary>
    internal (double? Percent, string Status, IReadOnlyList<string> Lines, long FirstSeq, string? Resume) TakeUnsaved()
    {
        lock (_gate)
        {
            var lines = _unsaved.ToList();
            _unsaved.Clear();
            var first = _saved;
            _saved += lines.Count;
            Dirty = false;
            var resume = _resume;
            _resume = null;
            return (Percent, Status, lines, first, resume);
        }
    }
}
