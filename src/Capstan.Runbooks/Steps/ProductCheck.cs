using Capstan.Core.Commands;
using Capstan.Runbooks.Config;
using Capstan.Core.Secrets;

namespace Capstan.Runbooks.Steps;

/// <summary>
/// Checks a product in one go: each of its apps in every environment that runs it (through the module that runs
/// apps) and every service it depends on, all in parallel, within the product's time budget.
/// </summary>
public sealed class ProductCheck(StepRunner steps, SecretStore secrets, IEnumerable<IAppProbe> probes)
{
    public static readonly string[] Columns = ["service", "status", "latency", "detail"];

    public async Task<(IReadOnlyList<StepResult> Results, Table Table)> RunAsync(Product product, IReadOnlyDictionary<string, string> files, CancellationToken ct)
    {
        var scope = new Scope(new Dictionary<string, string>(), secrets, StepReach.Config($"product {product.Name} (capstan.yaml)"));
        var apps = product.Apps.Select(a => Task.Run(() => AppAsync(a, product.Budget, ct), ct));
        var services = product.Services.Select(s => Task.Run(async () => (IReadOnlyList<StepResult>)[await steps.RunAsync(s, scope, files, _ => { }, product.Budget, ct)], ct));
        var results = (await Task.WhenAll(apps.Concat(services))).SelectMany(r => r).ToList();
        var rows = results.Select(r => (IReadOnlyList<string>)[r.Name, r.Ok ? "up" : "DOWN", r.LatencyText, r.Detail]).ToList();
        return (results, new Table(Columns, rows));
    }

    /// <summary>One row per environment that should run the app ("demo in staging"), or one row saying why there is none.</summary>
    private async Task<IReadOnlyList<StepResult>> AppAsync(string app, TimeSpan budget, CancellationToken ct)
    {
        StepResult Row(string name, bool up, TimeSpan latency, string detail) =>
            new(name, "app", up ? StepStatus.Ok : StepStatus.Failed, latency, detail, new Dictionary<string, string>());
        var probe = probes.FirstOrDefault();
        if (probe is null) return [Row(app, false, TimeSpan.Zero, "no module here runs apps")];
        var readings = await probe.ProbeAsync(app, budget, ct);
        if (readings is null) return [Row(app, false, TimeSpan.Zero, ArgumentKind.Unknown("app", app, probe.Apps))];
        if (readings.Count == 0) return [Row(app, false, TimeSpan.Zero, "no environment runs it yet: deploy it first")];
        return readings.Select(r => Row($"{app} in {r.Environment}", r.Up, r.Latency, r.Detail)).ToList();
    }
}
