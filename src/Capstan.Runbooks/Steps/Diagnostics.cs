using System.Globalization;
using Capstan.Core.Commands;
using Capstan.Core.Jobs;
using Capstan.Runbooks.Config;
using Capstan.Core.Secrets;

namespace Capstan.Runbooks.Steps;

/// <summary>Runs a runbook: binds its typed parameters, then its steps in order, each able to use earlier results.</summary>
public sealed class Diagnostics(StepRunner steps, SecretStore secrets)
{
    public static readonly string[] Columns = ["step", "kind", "status", "latency", "detail"];

    /// <summary>Checks key=value words against the runbook's parameters; returns the values or an error sentence.</summary>
    public static (Dictionary<string, string>? Values, string? Problem) Bind(Runbook runbook, string? text)
    {
        // The chat parser has already removed quotes and joined the words with single spaces, so a word
        // without '=' continues the previous value: text=a b c is one value "a b c".
        var pairs = new List<(string Key, string Value)>();
        foreach (var word in (text ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = word.IndexOf('=');
            if (eq > 0 && IsKey(word[..eq])) pairs.Add((word[..eq], word[(eq + 1)..]));
            else if (pairs.Count > 0) pairs[^1] = (pairs[^1].Key, pairs[^1].Value + " " + word);
            else return (null, $"'{word}' is not key=value. {Usage(runbook)}");
        }
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var known = runbook.Parameters.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in pairs)
        {
            if (!known.TryGetValue(key, out var p)) return (null, ArgumentKind.Unknown("parameter", key, known.Keys) + $". {Usage(runbook)}");
            if (Check(p, value) is { } problem) return (null, $"{p.Name}: {problem}");
            values[p.Name] = value;
        }
        foreach (var p in runbook.Parameters.Where(p => !values.ContainsKey(p.Name)))
        {
            if (p.Default is not null) values[p.Name] = p.Default;
            else if (p.Required) return (null, $"runbook {runbook.Name} needs {p.Name}=… ({Describe(p)}). {Usage(runbook)}");
        }
        return (values, null);
    }

    private static bool IsKey(string key) => char.IsAsciiLetter(key[0]) && key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    public static string Usage(Runbook runbook) =>
        $"Usage: `diag {runbook.Name}" + string.Concat(runbook.Parameters.Select(p => p.Required ? $" {p.Name}={p.Type.ToString().ToUpperInvariant()}" : $" [{p.Name}={p.Default ?? p.Type.ToString().ToUpperInvariant()}]")) + "`";

    public static string Describe(RunbookParameter p) =>
        (p.Type == ParameterType.Enum ? "one of " + string.Join(", ", p.Values) : p.Type.ToString().ToLowerInvariant()) + (p.Description.Length > 0 ? ": " + p.Description : "");

    /// <summary>Null when the value fits the parameter's type; otherwise why not.</summary>
    public static string? Check(RunbookParameter p, string v) => p.Type switch
    {
        ParameterType.Int => long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _) ? null : $"'{v}' is not a whole number",
        ParameterType.Bool => v is "true" or "false" ? null : $"'{v}' is not true or false",
        ParameterType.Host => Uri.CheckHostName(v) != UriHostNameType.Unknown ? null : $"'{v}' is not a host name or IP address",
        ParameterType.Url => Uri.TryCreate(v, UriKind.Absolute, out var u) && u.Scheme is "http" or "https" ? null : $"'{v}' is not an http:// or https:// address",
        ParameterType.Enum => p.Values.Contains(v) ? null : $"'{v}' is not one of {string.Join(", ", p.Values)}",
        _ => v.Length <= 4096 ? null : "the value is longer than 4096 characters",
    };

    /// <summary>
    /// Runs the steps as a job's work, reaching only what <paramref name="reach"/> allows; sql results are handed to
    /// <paramref name="table"/> as they arrive.
    /// </summary>
    public async Task<JobOutcome> RunAsync(Runbook runbook, IReadOnlyDictionary<string, string> parameters, IReadOnlyDictionary<string, string> files, JobContext job, Func<string, Table, Task> table, StepReach reach)
    {
        var scope = new Scope(parameters, secrets, reach);
        var results = new List<StepResult>();
        var stop = false;
        for (var i = 0; i < runbook.Steps.Count; i++)
        {
            var step = runbook.Steps[i];
            job.Cancellation.ThrowIfCancellationRequested();
            if (stop)
            {
                results.Add(new StepResult(step.Name, step.Kind, StepStatus.Skipped, TimeSpan.Zero, "not run: an earlier step failed", new Dictionary<string, string>()));
                continue;
            }
            job.Report(100.0 * i / runbook.Steps.Count, $"step {i + 1} of {runbook.Steps.Count}: {step.Name} ({step.Kind})");
            var result = await steps.RunAsync(step, scope, files, job.Line, null, job.Cancellation);
            job.Cancellation.ThrowIfCancellationRequested();
            scope.Add(result);
            results.Add(result);
            job.Line($"{(result.Ok ? "ok" : "FAILED")} {step.Name} ({step.Kind}, {result.LatencyText}): {result.Detail}");
            if (result.Table is { } t)
            {
                foreach (var row in t.Rows) job.Line(string.Join(" | ", row));
                job.AddTable(step.Name, t);
                await table(step.Name, t);
            }
            if (!result.Ok && !step.ContinueOnError) stop = true;
        }
        job.Report(100, "done");
        var summary = new Table(Columns, results.Select(r => (IReadOnlyList<string>)[r.Name, r.Kind, r.Word, r.LatencyText, r.Detail]).ToList());
        var failed = results.Where(r => r.Status == StepStatus.Failed).ToList();
        var blocking = failed.Where(r => !runbook.Steps.First(s => s.Name == r.Name).ContinueOnError).ToList();
        if (blocking.Count > 0) return JobOutcome.Fail($"runbook {runbook.Name} failed at step {blocking[0].Name}: {blocking[0].Detail}", summary);
        return JobOutcome.Ok(failed.Count == 0
            ? $"runbook {runbook.Name}: all {results.Count} step(s) passed"
            : $"runbook {runbook.Name} finished; {failed.Count} step(s) failed but may continue on error: {string.Join(", ", failed.Select(f => f.Name))}", summary);
    }
}
