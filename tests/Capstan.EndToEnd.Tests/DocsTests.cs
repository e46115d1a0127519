namespace Capstan.EndToEnd.Tests;

public sealed class DocsTests
{
    [Fact]
    public async Task The_command_reference_in_docs_matches_the_registry()
    {
        var generated = await CapstanExe.RunAsync("docs", "commands");
        Assert.Equal(0, generated.ExitCode);
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(dir!.FullName, "Capstan.slnx"))) dir = dir.Parent;
        var committed = await File.ReadAllTextAsync(Path.Combine(dir.FullName, "docs", "commands.md"));
        Assert.True(committed == generated.Output, "docs/commands.md is out of date: run `./capstan.sh docs commands > docs/commands.md`.");
    }

    [Fact]
    public async Task Every_verb_documents_itself()
    {
        var help = await CapstanExe.RunAsync("--help");
        Assert.Equal(0, help.ExitCode);
        foreach (var verb in new[] { "up", "say", "chat", "token", "signin-link", "ledger", "validate" })
            Assert.Contains(verb, help.Output);
        var say = await CapstanExe.RunAsync("say", "--help");
        Assert.Contains("--server", say.Output);
        Assert.Contains("Exit code", say.Output);
    }
}

/// <summary>Each kind of ledger entry declared as a record in Core is written by exactly one module, which says so.</summary>
public sealed class LedgerEventOwnershipTests
{
    [Fact]
    public async Task Every_declared_ledger_event_is_listed_by_the_one_module_that_writes_it_and_documented()
    {
        var generated = await CapstanExe.RunAsync("docs", "events");
        Assert.Equal(0, generated.ExitCode);
        var declared = typeof(Capstan.Core.Ledger.Events.ILedgerEvent).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(Capstan.Core.Ledger.Events.ILedgerEvent).IsAssignableFrom(t))
            .Select(t => (string)t.GetField("Kind")!.GetValue(null)!).Order().ToList();
        var listed = generated.Output.Split('\n').Where(l => l.StartsWith("| `", StringComparison.Ordinal))
            .Select(l => l.Split('`')[1]).ToList();
        Assert.Equal(listed.Count, listed.Distinct().Count());
        Assert.Equal(declared, listed.Order().ToList());
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(dir!.FullName, "Capstan.slnx"))) dir = dir.Parent;
        var committed = await File.ReadAllTextAsync(Path.Combine(dir.FullName, "docs", "ledger-events.md"));
        Assert.True(committed == generated.Output, "docs/ledger-events.md is out of date: run `./capstan.sh docs events > docs/ledger-events.md`.");
    }
}
