using Capstan.Core;
using Capstan.Core.Config;
using Capstan.Core.Ledger;
using YamlDotNet.RepresentationModel;

namespace Capstan.Core.Secrets;

/// <summary>
/// Secret values named by runbooks (<c>secret: db-readonly</c>): from the environment variable
/// CAPSTAN_SECRET_DB_READONLY or from DATA/secrets.yaml (outside Git). Every value read is registered with
/// the <see cref="Redactor"/>, so it never reaches chat, logs or the ledger.
/// </summary>
public sealed class SecretStore(DataFolder data, Redactor redactor)
{
    public const string FileName = "secrets.yaml";

    public string FilePath => Path.Combine(data.Root, FileName);

    public static bool ValidName(string name) => name.Length is > 0 and <= 100 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    public static string VariableName(string name) => "CAPSTAN_SECRET_" + name.ToUpperInvariant().Replace('-', '_');

    /// <summary>The secret's value, or an error sentence saying where to set it.</summary>
    public (string? Value, string? Problem) Find(string name)
    {
        var value = System.Environment.GetEnvironmentVariable(VariableName(name));
        if (string.IsNullOrEmpty(value))
        {
            var (file, problem) = ReadFile();
            if (problem is not null) return (null, problem);
            file.TryGetValue(name, out value);
        }
        if (string.IsNullOrEmpty(value))
            return (null, $"secret '{name}' is not set: set the environment variable {VariableName(name)} or add `{name}: VALUE` to {FilePath} (never to the config repo)");
        redactor.Add([value]);
        return (value, null);
    }

    /// <summary>Registers every secret in the secrets file with the redactor (at start, before anything runs).</summary>
    public void RegisterAll()
    {
        var (file, _) = ReadFile();
        redactor.Add(file.Values);
    }

    private (Dictionary<string, string> Values, string? Problem) ReadFile()
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(FilePath)) return (values, null);
        var errors = new List<ConfigError>();
        var src = YamlSource.Parse(FileName, File.ReadAllText(FilePath), errors);
        foreach (var (k, _, v) in src.Entries(src.Map(src.Root, FileName)))
            if (v is YamlScalarNode s && s.Value is { Length: > 0 } text) values[k] = text;
            else src.Fail(v, $"secret {k} must be a single value");
        // Never echo the file's content: a YAML error message could quote a secret.
        return errors.Count == 0 ? (values, null) : (values, $"{FilePath} has an error at line {errors[0].Line}; fix it (its content is not shown because it holds secrets)");
    }
}
