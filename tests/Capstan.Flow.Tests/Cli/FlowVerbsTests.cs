using System.CommandLine;
using Capstan.Cli;
using Capstan.Flow.Tests.Support;

namespace Capstan.Flow.Tests.Cli;

/// <summary>The flow, version and changelog verbs as the capstan executable will run them: output, errors and exit codes.</summary>
public class FlowVerbsTests
{
    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var root = new RootCommand("capstan");
        foreach (var c in FlowVerbs.Create()) root.Add(c);
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = FlowVerbs.Invoke(root, args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public void Version_prints_gitversion_json_and_single_variables()
    {
        using var r = new TestRepository();
        r.TaggedCommit("1.0.0").Branch("develop").Commit();
        var json = Run("version", "--repo", r.Path, "--no-cache");
        Assert.Equal(0, json.Exit);
        Assert.Contains("\"FullSemVer\": \"1.1.0-alpha.1\"", json.Out);
        var one = Run("version", "--repo", r.Path, "--show-variable", "FullSemVer", "--branch", "main");
        Assert.Equal((0, "1.0.0"), (one.Exit, one.Out.Trim()));
        var text = Run("version", "--repo", r.Path, "--output", "text");
        Assert.Contains("SemVer: 1.1.0-alpha.1", text.Out);
    }

    [Fact]
    public void A_cached_version_prints_what_the_command_prints_and_anything_else_is_left_to_the_command()
    {
        using var r = new TestRepository();
        r.TaggedCommit("1.0.0").Branch("develop").Commit();
        string? Shortcut(params string[] args)
        {
            var output = new StringWriter();
            return FlowVerbs.TryPrintCachedVersion(args, output) ? output.ToString() : null;
        }
        Assert.Null(Shortcut("version", "--repo", r.Path)); // nothing cached yet
        string[][] cases =
        [
            ["version", "--repo", r.Path],
            ["version", "--repo", r.Path, "--output", "text"],
            ["version", "--output", "json", "--repo", r.Path, "--show-variable", "FullSemVer"],
            ["version", "--repo", r.Path, "--show-variable", "VersionSourceSha"],
            ["version", "--repo", r.Path, "--show-variable", "BuildMetaData", "--branch", "main"],
        ];
        foreach (var args in cases)
        {
            var command = Run(args);
            Assert.Equal(0, command.Exit);
            Assert.Equal(command.Out, Shortcut(args));
        }
        Assert.Null(Shortcut("version", "--repo", r.Path, "--no-cache"));
        Assert.Null(Shortcut("version", "--repo", r.Path, "--show-variable", "Nope"));
        Assert.Null(Shortcut("version", "--repo", r.Path, "--output", "yaml"));
        Assert.Null(Shortcut("version", "--repo=" + r.Path));
        Assert.Null(Shortcut("version", "--repo", r.Path, "--repo", r.Path));
        Assert.Null(Shortcut("version", "--repo", r.Path, "--help"));
        Assert.Null(Shortcut("version", "explain", "--repo", r.Path));
        Assert.Null(Shortcut("version", "--repo", r.Path, "--branch", "no-such-branch"));
    }

    [Fact]
    public void Usage_errors_exit_2_and_refusals_exit_1()
    {
        using var r = new TestRepository();
        r.Commit();
        var unknownVariable = Run("version", "--repo", r.Path, "--show-variable", "Nope");
        Assert.True(unknownVariable.Exit == 2, "unknown variable: " + unknownVariable.Err);
        Assert.Contains("Known variables", unknownVariable.Err);
        var badOutput = Run("version", "--output", "yaml", "--repo", r.Path);
        Assert.True(badOutput.Exit == 2, "bad output: " + badOutput.Err);
        var bogus = Run("flow", "feature", "start", "--repo", r.Path);
        Assert.True(bogus.Exit == 2, "bogus: " + bogus.Err);
        var refused = Run("flow", "feature", "start", "x", "--repo", r.Path);
        Assert.Equal(1, refused.Exit);
        Assert.Contains("flow init -d", refused.Err);
        Assert.Equal("", refused.Out);
    }

    [Fact]
    public void Flow_cycle_through_the_cli()
    {
        using var r = new TestRepository();
        r.Commit("initial");
        Assert.Equal(0, Run("flow", "init", "-d", "--repo", r.Path).Exit);
        Assert.Equal(0, Run("flow", "feature", "start", "login", "--repo", r.Path).Exit);
        r.Commit("feat: login");
        var finish = Run("flow", "feature", "finish", "--repo", r.Path);
        Assert.Equal(0, finish.Exit);
        Assert.Contains("was merged into 'develop'", finish.Out);
        Assert.Equal(0, Run("flow", "release", "start", "1.0.0", "--repo", r.Path).Exit);
        var list = Run("flow", "release", "list", "--repo", r.Path);
        Assert.Contains("* 1.0.0", list.Out);
        var released = Run("flow", "release", "finish", "-m", "Release 1.0.0", "1.0.0", "--repo", r.Path);
        Assert.Equal(0, released.Exit);
        Assert.Contains("tagged '1.0.0'", released.Out);
        Assert.Equal("1.0.0", Run("version", "--repo", r.Path, "--branch", "main", "--show-variable", "SemVer").Out.Trim());
        var explain = Run("version", "explain", "--repo", r.Path);
        Assert.Equal(0, explain.Exit);
        Assert.Contains("develop at", explain.Out);
        Assert.Contains("Decided by:", explain.Out);
        var changelog = Run("changelog", "..1.0.0", "--repo", r.Path);
        Assert.Equal(0, changelog.Exit);
        Assert.Contains("### Features", changelog.Out);
        Assert.Contains("- login (", changelog.Out);
        Assert.Equal("No flow operation is in progress.", Run("flow", "status", "--repo", r.Path).Out.Trim());
    }
}
