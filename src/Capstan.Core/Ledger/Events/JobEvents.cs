using System.Text.Json.Serialization;

namespace Capstan.Core.Ledger.Events;

/// <summary>
/// A job ended (<c>job.finished</c>): its id, kind, state ("succeeded", "failed", "cancelled", "interrupted"), summary
/// and the seconds it took (absent for a job interrupted by a stop). The incidents module routes failed ones.
/// </summary>
public sealed record JobFinished(string Job, [property: JsonPropertyName("kind")] string JobKind, string State, string? Summary, double? Seconds = null) : ILedgerEvent
{
    public const string Kind = "job.finished";
    static string ILedgerEvent.EventKind => Kind;
}
