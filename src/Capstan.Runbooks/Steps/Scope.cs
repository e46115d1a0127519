using System.Text.RegularExpressions;
using Capstan.Runbooks.Config;
using Capstan.Core.Secrets;

namespace Capstan.Runbooks.Steps;

/// <summary>
/// What placeholders can refer to while a runbook runs: <c>{{ name }}</c> is a parameter,
/// <c>{{ steps.STEP.KEY }}</c> a value from an earlier step's result; <c>{ secret: NAME }</c> a secret. It also
/// carries where the steps may connect (<see cref="StepReach"/>).
/// </summary>
public sealed partial class Scope(IReadOnlyDictionary<string, string> parameters, SecretStore secrets, StepReach? reach = null)
{
    private readonly Dictionary<string, StepResult> _steps = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, string> Parameters => parameters;

    /// <summary>Where the steps may connect and send secrets (anywhere written in the config, when not a runbook's run).</summary>
    public StepReach Reach { get; } = reach ?? StepReach.Config("the configuration");

    public void Add(StepResult result) => _steps[result.Name] = result;

    [GeneratedRegex(@"\{\{\s*([A-Za-z0-9_.\-]+)\s*\}\}")]
    private static partial Regex Placeholder();

    /// <summary>The value's text with placeholders filled in; a secret's value when it names one.</summary>
    public string Resolve(TextValue value)
    {
        if (value.Secret is { } name)
        {
            var (secret, problem) = secrets.Find(name);
            return secret ?? throw new StepProblem(problem!);
        }
        return Placeholder().Replace(value.Text, m => Lookup(m.Groups[1].Value));
    }

    private string Lookup(string reference)
    {
        if (parameters.TryGetValue(reference, out var v)) return v;
        var parts = reference.Split('.');
        if (parts is ["steps", var step, var key])
        {
            if (!_steps.TryGetValue(step, out var r)) throw new StepProblem($"{{{{ {reference} }}}} refers to step '{step}', which has not run before this one");
            if (r.Values.TryGetValue(key, out var sv)) return sv;
            throw new StepProblem($"step '{step}' has no value '{key}' (it has: {string.Join(", ", r.Values.Keys)})");
        }
        throw new StepProblem($"unknown placeholder {{{{ {reference} }}}}: use a parameter ({string.Join(", ", parameters.Keys)}) or steps.STEP.KEY");
    }
}
