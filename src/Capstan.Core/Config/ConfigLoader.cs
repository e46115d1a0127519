using Capstan.Core.Policy;

namespace Capstan.Core.Config;

/// <summary>Turns the files of a config repo commit into a <see cref="ConfigSnapshot"/>, or every error found.</summary>
public sealed class ConfigLoader(IEnumerable<IConfigSection> sections)
{
    public const string MainFile = "capstan.yaml";
    // logging: is the core's own section, read by every loader (the server, the CLI, validate, the push hook).
    private readonly IReadOnlyList<IConfigSection> _sections = [Logging.LoggingSection.Instance, .. sections.Where(s => s is not Logging.LoggingSection)];

    public IReadOnlyList<IConfigSection> Sections => _sections;

    /// <summary>Reads a configuration; throws <see cref="ConfigException"/> listing every problem with file:line.</summary>
    public ConfigSnapshot Load(string commit, DateTimeOffset committedAt, IReadOnlyDictionary<string, string> files)
    {
        var errors = new List<ConfigError>();
        if (!files.TryGetValue(MainFile, out var text))
            throw new ConfigException([new ConfigError(MainFile, 0, 0, "capstan.yaml is missing from the config repo; restore it (git revert the commit that removed it).")]);
        var main = YamlSource.Parse(MainFile, text, errors);
        if (errors.Count > 0) throw new ConfigException(errors);
        var root = main.Map(main.Root, "capstan.yaml");
        var known = PolicySection.Keys.Append(EgressSection.Key).Concat(_sections.SelectMany(s => s.TopLevelKeys)).ToArray();
        main.OnlyKeys(root, "capstan.yaml", known);
        var envKeys = PolicySection.EnvironmentKeys.Concat(_sections.SelectMany(s => s.EnvironmentKeys)).ToArray();
        var policy = PolicySection.Read(main, root, envKeys);
        var reading = new ConfigReading(files, main, policy);
        var models = new Dictionary<Type, object> { [typeof(Egress.EgressRules)] = EgressSection.Read(main, root) };
        foreach (var s in _sections)
        {
            var model = s.Read(reading);
            models[model.GetType()] = model;
        }
        if (errors.Count > 0) throw new ConfigException(errors.OrderBy(e => e.File, StringComparer.Ordinal).ThenBy(e => e.Line).ToList());
        return new ConfigSnapshot(commit, committedAt, policy, files, models);
    }
}
