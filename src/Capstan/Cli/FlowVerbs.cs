namespace Capstan.Cli;

/// <summary>Builds the flow, version and changelog verbs of the capstan executable.</summary>
public static class FlowVerbs
{
    public static IEnumerable<System.CommandLine.Command> Create() => [];
}
