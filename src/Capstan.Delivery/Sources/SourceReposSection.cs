using Capstan.Core.Config;
using YamlDotNet.RepresentationModel;

namespace Capstan.Delivery.Sources;

/// <summary>A source repository Capstan drives GitFlow in: a local path or a remote URL it clones into its data folder.</summary>
public sealed record SourceRepo(string Name, string Url, string Description);

/// <summary>The <c>repos:</c> of capstan.yaml.</summary>
public sealed record SourceRepos(IReadOnlyDictionary<string, SourceRepo> All)
{
    public static readonly SourceRepos Empty = new(new Dictionary<string, SourceRepo>());
}

/// <summary>Reads <c>repos: NAME: { url: …, description: … }</c> with file:line errors.</summary>
public sealed class SourceReposSection : IConfigSection
{
    public IReadOnlyList<string> TopLevelKeys => ["repos"];

    public object Read(ConfigReading reading)
    {
        var y = reading.Main;
        var repos = new Dictionary<string, SourceRepo>(StringComparer.Ordinal);
        foreach (var (name, keyNode, value) in y.Entries(y.Map(y.Get(y.Root as YamlMappingNode, "repos"), "repos")))
        {
            if (!Apps.DeliverySection.ValidName(name)) { y.Fail(keyNode, $"repo name '{name}' must be lower-case letters, digits, '-' or '_'"); continue; }
            var m = y.Map(value, $"repo {name}");
            y.OnlyKeys(m, $"repo {name}", "url", "description");
            var urlNode = y.Get(m, "url");
            var url = y.Text(urlNode, $"repos.{name}.url");
            if (string.IsNullOrWhiteSpace(url)) { y.Fail(keyNode, $"repo {name} needs url: (a path such as /srv/git/api.git or a URL such as https://git.example.com/team/api.git)"); continue; }
            if (url.StartsWith('-') || url.Contains('\n')) { y.Fail(urlNode, $"repos.{name}.url '{url}' is not a path or URL"); continue; }
            if (url.StartsWith("ext::", StringComparison.OrdinalIgnoreCase) || url.StartsWith("file://-", StringComparison.OrdinalIgnoreCase))
            { y.Fail(urlNode, $"repos.{name}.url uses a transport Capstan does not allow; use a path, ssh, https or git URL"); continue; }
            repos[name] = new SourceRepo(name, url, y.Text(y.Get(m, "description"), $"repos.{name}.description") ?? "");
        }
        return new SourceRepos(repos);
    }
}
