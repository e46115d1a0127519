using Capstan.Core.Commands;
using Capstan.Delivery.Reconciliation;

namespace Capstan.Delivery.Board;

/// <summary>The delivery module's answer to <c>check PRODUCT</c> for a product's apps: a fresh health probe per environment.</summary>
public sealed class AppProbe(Reconciler reconciler) : IAppProbe
{
    public Task<IReadOnlyList<AppReading>?> ProbeAsync(string app, TimeSpan budget, CancellationToken ct) => reconciler.ProbeAppAsync(app, budget, ct);

    public IReadOnlyCollection<string> Apps => reconciler.DeclaredApps;
}
