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
