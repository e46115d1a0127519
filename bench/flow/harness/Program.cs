using System.CommandLine;
using Capstan.Cli;

var root = new RootCommand("capstan (flow verbs only, for benchmarks)");
foreach (var command in FlowVerbs.Create()) root.Add(command);
return FlowVerbs.Invoke(root, args);
