using System.Globalization;
using Capstan.Core.Config;
using Capstan.Core.Json;
using Cronos;
using YamlDotNet.RepresentationModel;

namespace Capstan.Indicators.Config;

/// <summary>
/// Reads the <c>indicators:</c> key of capstan.yaml (benchmark year, products, app → source repo, digests) and
/// <c>indicators/NAME.yaml</c> (custom indicators), every problem with file:line:column. The urls of
/// <c>repos:</c> (owned and validated by the delivery module) are read too, for lead times.
/// </summary>
public sealed class IndicatorsSection : IConfigSection
{
    public static readonly int[] BenchmarkYears = [2019, 2021, 2022, 2023, 2024];
    private static readonly string[] Drivers = ["sqlite", "postgres"];

    public IReadOnlyList<string> TopLevelKeys => ["indicators"];

    public object Read(ConfigReading reading)
    {
        var y = reading.Main;
        var root = y.Root as YamlMappingNode;
        var m = y.Map(y.Get(root, "indicators"), "indicators");
        y.OnlyKeys(m, "indicators", "benchmark", "environment", "incidentLink", "sources", "products", "digests");
        var benchmark = IndicatorsConfig.DefaultBenchmark;
        if (y.Get(m, "benchmark") is { } bn && y.Int(bn, "indicators.benchmark") is { } year)
        {
            if (BenchmarkYears.Contains(year)) benchmark = year;
            else y.Fail(bn, $"indicators.benchmark {year} is not a DORA report year Capstan has tiers for; use one of {string.Join(", ", BenchmarkYears)}");
        }
        var envNode = y.Get(m, "environment");
        var env = y.Text(envNode, "indicators.environment");
        if (env is not null && !reading.Policy.Environments.ContainsKey(env))
            y.Fail(envNode, Core.Commands.ArgumentKind.Unknown("environment", env, reading.Policy.Environments.Keys));
        var link = y.Duration(y.Get(m, "incidentLink"), "indicators.incidentLink") ?? IndicatorsConfig.DefaultIncidentLink;

        var sources = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (app, _, value) in y.Entries(y.Map(y.Get(m, "sources"), "indicators.sources")))
            if (y.Text(value, $"indicators.sources.{app}") is { } repo) sources[app] = repo;

        var products = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var (name, keyNode, value) in y.Entries(y.Map(y.Get(m, "products"), "indicators.products")))
        {
            var apps = y.Strings(value, $"indicators.products.{name}").Select(a => a.Value).ToList();
            if (apps.Count == 0) y.Fail(keyNode, $"product {name} lists no apps; write it like {name}: [api, web]");
            products[name] = apps;
        }

        var urls = new Dictionary<string, string>(StringComparer.Ordinal);
        if (y.Get(root, "repos") is YamlMappingNode repos)
            foreach (var (name, _, value) in y.Entries(repos))
                if (value is YamlMappingNode rm && rm.Children.TryGetValue(new YamlScalarNode("url"), out var u) && u is YamlScalarNode { Value: { Length: > 0 } url })
                    urls[name] = url;
        foreach (var (app, keyNode, _) in y.Entries(y.Map(y.Get(m, "sources"), "indicators.sources")))
            if (sources.TryGetValue(app, out var repo) && !urls.ContainsKey(repo))
                y.Fail(keyNode, Core.Commands.ArgumentKind.Unknown("repo", repo, urls.Keys) + " (indicators.sources names a repo from repos:)");

        var indicators = new Dictionary<string, CustomIndicator>(StringComparer.Ordinal);
        foreach (var (path, text) in reading.Files.Where(f => f.Key.StartsWith("indicators/", StringComparison.Ordinal)).OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            if (!path.EndsWith(".yaml", StringComparison.Ordinal) && !path.EndsWith(".yml", StringComparison.Ordinal)) continue;
            var name = Path.GetFileNameWithoutExtension(path);
            var src = YamlSource.Parse(path, text, reading.Errors);
            if (src.Root is null && reading.Errors.Any(e => e.File == path)) continue;
            if (!ValidName(name)) { src.Fail(src.Root, $"indicator names (the file name) use lower-case letters, digits, '-' or '_'; '{name}' does not"); continue; }
            if (name is "dora" or "explain") { src.Fail(src.Root, $"'{name}' is a word of the metrics command; name the file something else"); continue; }
            if (ReadIndicator(src, name, path) is { } ind) indicators[name] = ind;
        }

        var digests = new List<Digest>();
        foreach (var (name, keyNode, value) in y.Entries(y.Map(y.Get(m, "digests"), "indicators.digests")))
            if (ReadDigest(y, name, keyNode, value, reading, products, indicators) is { } d) digests.Add(d);
        return new IndicatorsConfig(benchmark, env, link, sources, products, urls, indicators, digests);
    }

    private static CustomIndicator? ReadIndicator(YamlSource src, string name, string path)
    {
        var m = src.Map(src.Root, path);
        if (m is null) { src.Fail(src.Root, $"{path} must be a mapping with description, unit, source and thresholds"); return null; }
        src.OnlyKeys(m, path, "description", "unit", "source", "timeout", "thresholds");
        var sourceNode = src.Get(m, "source");
        var sm = src.Map(sourceNode, "source");
        IndicatorSource? source = null;
        if (sm is null) src.Fail(m, $"{path} needs source: with one of sql:, http: or prometheus:");
        else
        {
            src.OnlyKeys(sm, "source", "sql", "http", "prometheus");
            var kinds = src.Entries(sm).ToList();
            if (kinds.Count != 1) src.Fail(sm, "source: takes exactly one of sql:, http: or prometheus:");
            else source = kinds[0].Key switch
            {
                "sql" => ReadSql(src, kinds[0].Value),
                "http" => ReadHttp(src, kinds[0].Value),
                "prometheus" => ReadPrometheus(src, kinds[0].Value),
                _ => null,
            };
        }
        var timeout = src.Duration(src.Get(m, "timeout"), "timeout") ?? TimeSpan.FromSeconds(10);
        var thresholds = Thresholds.None;
        if (src.Map(src.Get(m, "thresholds"), "thresholds") is { } tm)
        {
            src.OnlyKeys(tm, "thresholds", "warn", "critical", "better");
            var betterNode = src.Get(tm, "better");
            var better = src.Text(betterNode, "thresholds.better") ?? "lower";
            if (better is not ("higher" or "lower")) src.Fail(betterNode, $"thresholds.better must be higher or lower, not '{better}'");
            thresholds = new Thresholds(Number(src, src.Get(tm, "warn"), "thresholds.warn"), Number(src, src.Get(tm, "critical"), "thresholds.critical"), better == "higher");
        }
        return source is null ? null
            : new CustomIndicator(name, src.Text(src.Get(m, "description"), "description") ?? "", src.Text(src.Get(m, "unit"), "unit") ?? "", source, timeout, thresholds, path);
    }

    private static double? Number(YamlSource src, YamlNode? node, string what)
    {
        var t = src.Text(node, what);
        if (t is null) return null;
        if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return d;
        src.Fail(node, $"{what} must be a number, not '{t}'");
        return null;
    }

    private static SqlSource? ReadSql(YamlSource src, YamlNode node)
    {
        var m = src.Map(node, "source.sql");
        src.OnlyKeys(m, "source.sql", "driver", "connection", "query");
        var driverNode = src.Get(m, "driver");
        var driver = src.Text(driverNode, "source.sql.driver") ?? "sqlite";
        if (!Drivers.Contains(driver)) { src.Fail(driverNode, $"source.sql.driver must be sqlite or postgres, not '{driver}'"); return null; }
        var connection = src.Text(src.Get(m, "connection"), "source.sql.connection");
        var query = src.Text(src.Get(m, "query"), "source.sql.query");
        if (connection is null) src.Fail(m ?? node, "source.sql needs connection: (for example \"Data Source=/srv/shop.db\" or \"Host=db;Database=shop;Username=reader\")");
        if (query is null) src.Fail(m ?? node, "source.sql needs query: (a SELECT whose first column of the first row is the value)");
        return connection is null || query is null ? null : new SqlSource(driver, connection, query);
    }

    private static HttpJsonSource? ReadHttp(YamlSource src, YamlNode node)
    {
        var m = src.Map(node, "source.http");
        src.OnlyKeys(m, "source.http", "url", "path", "headers");
        var urlNode = src.Get(m, "url");
        var url = src.Text(urlNode, "source.http.url");
        if (url is null) { src.Fail(m ?? node, "source.http needs url: (an http or https URL returning JSON)"); return null; }
        if (!Uri.TryCreate(url, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https")) { src.Fail(urlNode, $"source.http.url '{url}' is not an http or https URL"); return null; }
        var pathNode = src.Get(m, "path");
        var pathText = src.Text(pathNode, "source.http.path");
        if (pathText is null) { src.Fail(m ?? node, "source.http needs path: (the JSON path of the value, for example $.data.value)"); return null; }
        var (path, problem) = JsonPath.Parse(pathText);
        if (path is null) { src.Fail(pathNode, problem!); return null; }
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (k, _, v) in src.Entries(src.Map(src.Get(m, "headers"), "source.http.headers")))
            if (src.Text(v, $"header {k}") is { } hv) headers[k] = hv;
        return new HttpJsonSource(url, path, headers);
    }

    private static PrometheusSource? ReadPrometheus(YamlSource src, YamlNode node)
    {
        var m = src.Map(node, "source.prometheus");
        src.OnlyKeys(m, "source.prometheus", "url", "query");
        var urlNode = src.Get(m, "url");
        var url = src.Text(urlNode, "source.prometheus.url");
        var query = src.Text(src.Get(m, "query"), "source.prometheus.query");
        if (url is null || query is null) { src.Fail(m ?? node, "source.prometheus needs url: (the Prometheus server, e.g. http://prometheus:9090) and query: (PromQL)"); return null; }
        if (!Uri.TryCreate(url, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https")) { src.Fail(urlNode, $"source.prometheus.url '{url}' is not an http or https URL"); return null; }
        return new PrometheusSource(url.TrimEnd('/'), query);
    }

    private static Digest? ReadDigest(YamlSource y, string name, YamlNode keyNode, YamlNode value, ConfigReading reading,
        Dictionary<string, IReadOnlyList<string>> products, Dictionary<string, CustomIndicator> indicators)
    {
        var m = y.Map(value, $"digest {name}");
        y.OnlyKeys(m, $"digest {name}", "room", "schedule", "timeZone", "dora", "indicators", "period");
        var roomNode = y.Get(m, "room");
        var room = y.Text(roomNode, $"digest {name} room")?.TrimStart('#');
        if (room is null) { y.Fail(m ?? keyNode, $"digest {name} needs room: (where to post it)"); return null; }
        if (!reading.Policy.Rooms.ContainsKey(room)) { y.Fail(roomNode, Core.Commands.ArgumentKind.Unknown("room", room, reading.Policy.Rooms.Keys)); return null; }
        var scheduleNode = y.Get(m, "schedule");
        var scheduleText = y.Text(scheduleNode, $"digest {name} schedule");
        if (scheduleText is null) { y.Fail(m ?? keyNode, $"digest {name} needs schedule: a cron expression such as \"0 9 * * MON\" (every Monday 09:00)"); return null; }
        CronExpression schedule;
        try { schedule = CronExpression.Parse(scheduleText); }
        catch (CronFormatException ex) { y.Fail(scheduleNode, $"digest {name} schedule '{scheduleText}' is not a cron expression ({ex.Message.TrimEnd('.')}); write it like \"0 9 * * MON\""); return null; }
        var tzNode = y.Get(m, "timeZone");
        var tzText = y.Text(tzNode, $"digest {name} timeZone") ?? "UTC";
        TimeZoneInfo tz;
        try { tz = TimeZoneInfo.FindSystemTimeZoneById(tzText); }
        catch (TimeZoneNotFoundException) { y.Fail(tzNode, $"digest {name} timeZone '{tzText}' is not a known time zone; use an IANA name such as Europe/Berlin or America/New_York"); return null; }
        var dora = y.Strings(y.Get(m, "dora"), $"digest {name} dora");
        var inds = y.Strings(y.Get(m, "indicators"), $"digest {name} indicators");
        foreach (var (ind, node) in inds)
            if (!indicators.ContainsKey(ind)) y.Fail(node, Core.Commands.ArgumentKind.Unknown("indicator", ind, indicators.Keys) + " (indicators are files indicators/NAME.yaml)");
        if (dora.Count == 0 && inds.Count == 0) y.Fail(m ?? keyNode, $"digest {name} has nothing to post: list dora: [APP or PRODUCT or all] and/or indicators: [NAME]");
        var period = y.Duration(y.Get(m, "period"), $"digest {name} period") ?? TimeSpan.FromDays(7);
        return new Digest(name, room, schedule, scheduleText, tz, dora.Select(d => d.Value).ToList(), inds.Select(i => i.Value).ToList(), period);
    }

    public static bool ValidName(string name) => name.Length is > 0 and <= 64 && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_');
}
