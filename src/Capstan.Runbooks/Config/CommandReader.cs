using Capstan.Core.Config;
using Capstan.Core.Policy;
using YamlDotNet.RepresentationModel;

namespace Capstan.Runbooks.Config;

/// <summary>Reads commands/NAME.yaml: a custom command over a script or a runbook.</summary>
internal static class CommandReader
{
    public const string Folder = "commands/";
    private static readonly string[] Keys = ["name", "summary", "help", "args", "examples", "permission", "effect", "confirm", "script", "runbook", "with", "timeout"];

    public static CustomCommand? Read(YamlSource src, string fileName, IReadOnlyDictionary<string, string> files, IReadOnlyDictionary<string, Runbook> runbooks)
    {
        if (src.Root is null) return null;
        var root = src.Map(src.Root, "command");
        if (root is null) return null;
        src.OnlyKeys(root, "command", Keys);
        var name = src.Text(src.Get(root, "name"), "name") ?? fileName;
        var words = name.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length is 0 or > 3 || !words.All(RunbooksSection.ValidName))
        {
            src.Fail(src.Get(root, "name") ?? root, $"a command name is one to three words of lower-case letters, digits, '-' or '_'; '{name}' is not");
            return null;
        }
        name = string.Join(' ', words);
        var summary = src.Text(src.Get(root, "summary"), "summary");
        if (summary is null) src.Fail(root, $"command '{name}' needs summary: (one line shown in help)");
        var args = new List<RunbookParameter>();
        foreach (var (key, keyNode, value) in src.Entries(src.Map(src.Get(root, "args"), "args")))
        {
            if (!RunbooksSection.ValidParameter(key)) { src.Fail(keyNode, $"argument names use letters, digits and '_'; '{key}' does not"); continue; }
            if (RunbooksSection.ReadParameter(src, key, value) is { } p) args.Add(p);
        }
        var optionalSeen = false;
        foreach (var a in args)
        {
            if (!a.Required) optionalSeen = true;
            else if (optionalSeen) src.Fail(src.Get(root, "args"), $"required argument '{a.Name}' comes after an optional one; list required arguments first");
        }
        var examples = src.Strings(src.Get(root, "examples"), "examples").Select(e => e.Value).ToList();
        var permission = src.Text(src.Get(root, "permission"), "permission") ?? AccessPolicy.AdminPermission;
        var effectText = src.Text(src.Get(root, "effect"), "effect") ?? "change";
        if (!Enum.TryParse<CustomEffect>(effectText, true, out var effect) || effectText.Any(char.IsUpper))
        {
            src.Fail(src.Get(root, "effect"), $"effect must be read, change or destructive; not '{effectText}'");
            effect = CustomEffect.Change;
        }
        var confirm = src.Bool(src.Get(root, "confirm"), "confirm") ?? effect == CustomEffect.Destructive;
        var timeout = src.Duration(src.Get(root, "timeout"), "timeout") ?? TimeSpan.FromMinutes(5);

        ScriptStep? script = null;
        string? runbook = null;
        var with = new Dictionary<string, TextValue>(StringComparer.Ordinal);
        var scriptNode = src.Get(root, "script");
        var runbookNode = src.Get(root, "runbook");
        if ((scriptNode is null) == (runbookNode is null))
        {
            src.Fail(root, $"command '{name}' must run exactly one thing: script: (a file in the config repo) or runbook: (a runbook name)");
            return null;
        }
        var reader = new StepReader(src, files);
        if (scriptNode is not null)
        {
            var step = new YamlMappingNode(new YamlScalarNode("script"), scriptNode, new YamlScalarNode("timeout"), new YamlScalarNode(Core.Commands.DurationText.Format(timeout)));
            script = reader.Read(step, "run", $"command '{name}'") as ScriptStep;
            if (script is null) return null;
        }
        else
        {
            runbook = src.Text(runbookNode, "runbook");
            if (runbook is null || !runbooks.TryGetValue(runbook, out var rb))
            {
                src.Fail(runbookNode, Core.Commands.ArgumentKind.Unknown("runbook", runbook ?? "", runbooks.Keys) + ". Add runbooks/NAME.yaml or fix the name");
                return null;
            }
            foreach (var (key, keyNode, value) in src.Entries(src.Map(src.Get(root, "with"), "with")))
            {
                if (rb.Parameters.All(p => p.Name != key)) { src.Fail(keyNode, Core.Commands.ArgumentKind.Unknown("parameter", key, rb.Parameters.Select(p => p.Name)) + $" of runbook {runbook}"); continue; }
                if (reader.Text(value, $"with {key}") is { } v) with[key] = v;
            }
        }
        return new CustomCommand(name, src.File, summary ?? "", src.Text(src.Get(root, "help"), "help") ?? "", args, examples, permission, effect, confirm, script, runbook, with, timeout);
    }
}
