using System.Text;
using Capstan.Core.Ledger.Events;
using Capstan.Indicators.Custom;
using Capstan.Indicators.Digests;

namespace Capstan.Indicators.History;

/// <summary>
/// The ledger kinds the indicators module reads (written by other modules, declared in Core) and writes. The list in
/// docs/indicators.md is generated from it, so the page names the fields the records really have.
/// </summary>
public static class IndicatorsLedgerKinds
{
    /// <summary>What <see cref="DeliveryHistory"/> reads, with the module that writes each.</summary>
    public static readonly IReadOnlyList<(LedgerEventShape Shape, string Writer)> Read =
    [
        (LedgerEvents.Shape<DeploymentSucceeded>(), "Delivery"),
        (LedgerEvents.Shape<DeploymentFailed>(), "Delivery"),
        (LedgerEvents.Shape<RolledBack>(), "Delivery"),
        (LedgerEvents.Shape<HealthChanged>(), "Delivery"),
        (LedgerEvents.Shape<ChangeCommitted>(), "Delivery"),
        (LedgerEvents.Shape<IncidentOpened>(), "Incidents"),
        (LedgerEvents.Shape<IncidentSeverityChanged>(), "Incidents"),
        (LedgerEvents.Shape<IncidentAcknowledged>(), "Incidents"),
        (LedgerEvents.Shape<IncidentResolved>(), "Incidents"),
        (LedgerEvents.Shape<IncidentReopened>(), "Incidents"),
    ];

    /// <summary>What the module writes itself.</summary>
    public static readonly IReadOnlyList<string> Written = [IndicatorValues.ReadingKind, DigestSchedule.PostedKind];

    /// <summary>The marker lines around the generated list in docs/indicators.md.</summary>
    public const string Begin = "<!-- ledger kinds: generated from Capstan.Core.Ledger.Events; do not edit by hand -->";
    public const string End = "<!-- end of ledger kinds -->";

    /// <summary>The list as docs/indicators.md shows it, between <see cref="Begin"/> and <see cref="End"/>.</summary>
    public static string Markdown()
    {
        var text = new StringBuilder();
        text.Append(Begin).Append('\n');
        text.Append("Read (never changed), each at field version 1 unless marked:\n\n");
        foreach (var (shape, writer) in Read)
            text.Append("- ").Append(shape.Markdown).Append(" — ").Append(writer).Append(shape.Version == 1 ? "" : $" (version {shape.Version})").Append('\n');
        text.Append("\nWritten: ").Append(string.Join(", ", Written.Select(k => $"`{k}`"))).Append(".\n");
        text.Append(End);
        return text.ToString();
    }
}
