using Capstan.Core.Commands;

namespace Capstan.Core.Jobs;

/// <summary>Where a job is in its life.</summary>
public enum JobState
{
    Running,
    Succeeded,
    Failed,
    Cancelled,
    /// <summary>Stopped because it ran longer than its timeout.</summary>
    TimedOut,
    /// <summary>Capstan stopped or crashed while it ran.</summary>
    Interrupted,
}

/// <summary>A job's durable record: what it is, who started it, where it reports, how it ended.</summary>
public sealed record JobRecord(
    long Number,
    string Kind,
    string Title,
    string Actor,
    string Room,
    string Thread,
    string? ProgressMessage,
    JobState State,
    double? Percent,
    string Status,
    string? Summary,
    string? Resume,
    TimeSpan Timeout,
    DateTimeOffset CreatedAt,
    DateTimeOffset? EndedAt)
{
    /// <summary>The id people type: j12.</summary>
    public string Id => JobId.Format(Number);

    public bool Finished => State != JobState.Running;
}

/// <summary>
/// A job with its output and results: the read model behind <c>job ID</c> and the web job page. <see cref="Output"/>
/// holds the lines from number <see cref="OutputFrom"/> on (all of them unless a page asked only for new ones).
/// </summary>
public sealed record JobView(JobRecord Job, IReadOnlyList<string> Output, Table? Result, IReadOnlyList<JobTable> Tables, long OutputFrom = 0)
{
    /// <summary>How many output lines the job has kept in all.</summary>
    public long OutputCount => OutputFrom + Output.Count;
}

/// <summary>A named result a job kept in full, such as the rows of one sql step.</summary>
public sealed record JobTable(string Name, Table Table);

/// <summary>What to start: a kind (fetch, diag …), a title for chat, who asked and where to report.</summary>
public sealed record JobRequest(string Kind, string Title, string Actor, string Room, string Thread, TimeSpan Timeout, string? Resume = null);

/// <summary>How a job's work ended, from the work's own point of view.</summary>
public sealed record JobOutcome(bool Succeeded, string Summary, Table? Table = null)
{
    public static JobOutcome Ok(string summary, Table? table = null) => new(true, summary, table);
    public static JobOutcome Fail(string summary, Table? table = null) => new(false, summary, table);
}

/// <summary>The text form of job ids: j12, and 12 accepted when typed.</summary>
public static class JobId
{
    public static string Format(long number) => "j" + number.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static bool TryParse(string text, out long number)
    {
        var t = text.Trim();
        if (t.StartsWith('j') || t.StartsWith('J')) t = t[1..];
        return long.TryParse(t, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out number) && number > 0;
    }
}
