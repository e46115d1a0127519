using Capstan.Core;
using Capstan.Core.Commands;
using Capstan.Core.Egress;
using Capstan.Runbooks.Config;

namespace Capstan.Runbooks.Steps;

/// <summary>Runs one step of any kind within its timeout (or a shorter budget) and turns every failure into a result with a sentence.</summary>
public sealed class StepRunner(HttpProbe http, EgressGuard egress, DataFolder data, TimeProvider clock)
{
    public async Task<StepResult> RunAsync(Step step, Scope scope, IReadOnlyDictionary<string, string> files, Action<string> line, TimeSpan? budget, CancellationToken ct)
    {
        var limit = budget is { } b && b < step.Timeout ? b : step.Timeout;
        using var timeout = new CancellationTokenSource(limit, clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        var started = clock.GetTimestamp();
        StepResult Fail(string why) => new(step.Name, step.Kind, StepStatus.Failed, clock.GetElapsedTime(started), why, new Dictionary<string, string>());
        try
        {
            Table? table = null;
            Dictionary<string, string> values;
            switch (step)
            {
                case HttpStep h: values = await http.RunAsync(h, scope, linked.Token); break;
                case TcpStep t: values = await TcpProbe.RunAsync(t, scope, egress, linked.Token); break;
                case DnsStep d: values = await DnsProbe.RunAsync(d, scope, egress, linked.Token); break;
                case SqlStep q: (values, table) = await SqlProbe.RunAsync(q, scope, egress, linked.Token); break;
                case ScriptStep s:
                    var folder = Path.Combine(data.Work, "runbooks", Guid.NewGuid().ToString("N")[..12]);
                    try { values = await ScriptRun.RunAsync(s, scope, files, folder, line, linked.Token); }
                    finally { TryDelete(folder); }
                    break;
                default: throw new StepProblem($"steps of kind {step.Kind} cannot run here");
            }
            return new StepResult(step.Name, step.Kind, StepStatus.Ok, clock.GetElapsedTime(started), values.GetValueOrDefault("detail") ?? "ok", values, table);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            return Fail($"no answer within {DurationText.Format(limit)} (the {(budget is not null && budget < step.Timeout ? "time budget" : "step's timeout")})");
        }
        catch (StepProblem ex)
        {
            return Fail(ex.Message);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Fail(ex.Message);
        }
    }

    private static void TryDelete(string folder)
    {
        try { Directory.Delete(folder, true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
