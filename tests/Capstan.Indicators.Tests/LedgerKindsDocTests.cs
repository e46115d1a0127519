using Capstan.Indicators.History;

namespace Capstan.Indicators.Tests;

/// <summary>docs/indicators.md lists the ledger kinds the module reads as the records in Core declare them.</summary>
public sealed class LedgerKindsDocTests
{
    /// <summary>Set to 1 to rewrite the list in docs/indicators.md from the records instead of comparing.</summary>
    private const string Rewrite = "CAPSTAN_WRITE_DOCS";

    [Fact]
    public async Task The_ledger_kinds_in_the_indicators_doc_match_the_event_records()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(dir!.FullName, "Capstan.slnx"))) dir = dir.Parent;
        var path = Path.Combine(dir.FullName, "docs", "indicators.md");
        var doc = await File.ReadAllTextAsync(path);
        var begin = doc.IndexOf(IndicatorsLedgerKinds.Begin, StringComparison.Ordinal);
        var end = doc.IndexOf(IndicatorsLedgerKinds.End, StringComparison.Ordinal);
        Assert.True(begin >= 0 && end > begin, $"docs/indicators.md has no generated ledger kinds block ({IndicatorsLedgerKinds.Begin} … {IndicatorsLedgerKinds.End}).");
        var committed = doc[begin..(end + IndicatorsLedgerKinds.End.Length)];
        var generated = IndicatorsLedgerKinds.Markdown();
        if (Environment.GetEnvironmentVariable(Rewrite) == "1" && committed != generated)
        {
            await File.WriteAllTextAsync(path, doc[..begin] + generated + doc[(end + IndicatorsLedgerKinds.End.Length)..]);
            committed = generated;
        }
        Assert.True(committed == generated,
            "docs/indicators.md lists other ledger kinds or fields than the records in Capstan.Core.Ledger.Events: run " +
            $"`{Rewrite}=1 dotnet test tests/Capstan.Indicators.Tests --filter LedgerKindsDocTests` to regenerate it.\nExpected:\n{generated}");
    }
}
