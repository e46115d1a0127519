using Capstan.Core.Policy;

namespace Capstan.Core.Config;

/// <summary>
/// A module's part of the configuration: the top-level keys of capstan.yaml (and files) it reads.
/// Modules register one each; none is known to the core by name.
/// </summary>
public interface IConfigSection
{
    /// <summary>Top-level keys of capstan.yaml this section owns.</summary>
    IReadOnlyList<string> TopLevelKeys { get; }

    /// <summary>Keys this section reads inside each entry of environments:.</summary>
    IReadOnlyList<string> EnvironmentKeys => [];

    /// <summary>Reads the section, reporting problems to <see cref="ConfigReading.Errors"/>; returns its model.</summary>
    object Read(ConfigReading reading);

    /// <summary>Files this section adds to a brand-new config repo (path → content).</summary>
    IReadOnlyDictionary<string, string> Seed => new Dictionary<string, string>();

    /// <summary>Settings this section adds to a demo environment's entry in a new capstan.yaml (key → YAML value).</summary>
    IReadOnlyDictionary<string, string> SeedEnvironment(string environment) => new Dictionary<string, string>();

    /// <summary>Top-level YAML this section appends to a new capstan.yaml (its own keys, with comments), or null.</summary>
    string? SeedMain => null;
}

/// <summary>What a section gets while a configuration is read.</summary>
public sealed class ConfigReading(IReadOnlyDictionary<string, string> files, YamlSource main, AccessPolicy policy)
{
    public IReadOnlyDictionary<string, string> Files { get; } = files;
    public YamlSource Main { get; } = main;
    public AccessPolicy Policy { get; } = policy;
    public List<ConfigError> Errors => Main.Errors;

    public YamlSource Parse(string path) => YamlSource.Parse(path, Files[path], Errors);
}

/// <summary>One accepted configuration: the commit it came from, the policy, and each module's model.</summary>
public sealed class ConfigSnapshot(string commit, DateTimeOffset committedAt, AccessPolicy policy, IReadOnlyDictionary<string, string> files, IReadOnlyDictionary<Type, object> sections)
{
    public string Commit { get; } = commit;
    public string ShortCommit => Commit.Length > 7 ? Commit[..7] : Commit;
    public DateTimeOffset CommittedAt { get; } = committedAt;
    public AccessPolicy Policy { get; } = policy;
    public IReadOnlyDictionary<string, string> Files { get; } = files;

    public T Get<T>() where T : class =>
        sections.TryGetValue(typeof(T), out var v) ? (T)v : throw new InvalidOperationException($"No configuration section produced {typeof(T).Name}; is its module registered?");

    public T? Find<T>() where T : class => sections.TryGetValue(typeof(T), out var v) ? (T)v : null;
}
