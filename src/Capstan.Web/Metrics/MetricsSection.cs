using Capstan.Core.Config;
using Capstan.Core.Secrets;
using YamlDotNet.RepresentationModel;

namespace Capstan.Web.Metrics;

/// <summary>The <c>metrics:</c> settings: the secret a Prometheus scraper must send to read /metrics (none: open).</summary>
public sealed record MetricsConfig(string? TokenSecret);

/// <summary>Reads <c>metrics: { token: { secret: NAME } }</c> from capstan.yaml; the value itself stays out of Git.</summary>
public sealed class MetricsSection : IConfigSection
{
    public IReadOnlyList<string> TopLevelKeys => ["metrics"];

    public object Read(ConfigReading reading)
    {
        var y = reading.Main;
        var m = y.Map(y.Get(y.Root as YamlMappingNode, "metrics"), "metrics");
        y.OnlyKeys(m, "metrics", "token");
        if (y.Get(m, "token") is not { } tokenNode) return new MetricsConfig(null);
        if (tokenNode is not YamlMappingNode token)
        {
            y.Fail(tokenNode, "metrics.token is read from a secret, never written in the config repo: write it as token: { secret: NAME } and set NAME in DATA/secrets.yaml or CAPSTAN_SECRET_NAME");
            return new MetricsConfig(null);
        }
        y.OnlyKeys(token, "metrics.token", "secret");
        var nameNode = y.Get(token, "secret");
        var name = y.Text(nameNode, "metrics.token.secret");
        if (name is null) { y.Fail(tokenNode, "metrics.token needs secret: NAME (the secret the scraper sends as a bearer token)"); return new MetricsConfig(null); }
        if (!SecretStore.ValidName(name)) { y.Fail(nameNode, $"secret names use letters, digits, '-' and '_'; '{name}' does not"); return new MetricsConfig(null); }
        return new MetricsConfig(name);
    }
}
