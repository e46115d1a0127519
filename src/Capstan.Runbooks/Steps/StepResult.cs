using System.Globalization;
using Capstan.Core.Commands;

namespace Capstan.Runbooks.Steps;

/// <summary>How a step ended.</summary>
public enum StepStatus { Ok, Failed, Skipped }

/// <summary>One step's result: status, how long it took, a one-line detail, values later steps can use, and a table (sql).</summary>
public sealed record StepResult(string Name, string Kind, StepStatus Status, TimeSpan Latency, string Detail, IReadOnlyDictionary<string, string> Values, Table? Table = null)
{
    public bool Ok => Status == StepStatus.Ok;

    public string Word => Status switch { StepStatus.Ok => "ok", StepStatus.Failed => "FAILED", _ => "skipped" };

    public string LatencyText => Status == StepStatus.Skipped ? "" : Latency.TotalMilliseconds < 1000
        ? Latency.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) + " ms"
        : Latency.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";
}

/// <summary>A step failed for a reason the user can act on; the message is the sentence shown.</summary>
public sealed class StepProblem(string message) : Exception(message);
