using Capstan.Core.Commands;
using Capstan.Runbooks.Config;
using Capstan.Runbooks.Secrets;

namespace Capstan.Runbooks.Steps;

/// <summary>Checks every service of a product in parallel, within the product's time budget.</summary>
public sealed class ProductCheck(StepRunner steps, SecretStore secrets)
{
    public static readonly string[] Columns = ["service", "status", "latency", "detail"];

    public async Task<(IReadOnlyList<StepResult> Results, Table Table)> RunAsync(Product product, IReadOnlyDictionary<string, string> files, CancellationToken ct)
    {
        var scope = new Scope(new Dictionary<string, string>(), secrets);
        var results = await Task.WhenAll(product.Services.Select(s =>
            Task.Run(() => steps.RunAsync(s, scope, files, _ => { }, product.Budget, ct), ct)));
        var rows = results.Select(r => (IReadOnlyList<string>)[r.Name, r.Ok ? "up" : "DOWN", r.LatencyText, r.Detail]).ToList();
        return (results, new Table(Columns, rows));
    }
}
