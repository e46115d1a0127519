using Capstan.Core.Secrets;
using Capstan.Core.Config;
using Capstan.Core.Json;
using YamlDotNet.RepresentationModel;

namespace Capstan.Runbooks.Config;

/// <summary>Reads steps (in runbooks) and services (in products): one kind key (http, tcp, dns, sql, script) and its settings.</summary>
internal sealed class StepReader(YamlSource src, IReadOnlyDictionary<string, string> files)
{
    public static readonly string[] Kinds = ["http", "tcp", "dns", "sql", "script"];
    private static readonly string[] StepKeys = ["name", "timeout", "continueOnError", .. Kinds];
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);
    public const long DefaultMaxBytes = 1024 * 1024;
    public const int DefaultMaxRows = 100;

    public Step? Read(YamlNode node, string? name, string what)
    {
        var map = src.Map(node, what);
        if (map is null) { src.Fail(node, $"{what} must be a mapping with one of: {string.Join(", ", Kinds)}"); return null; }
        src.OnlyKeys(map, what, StepKeys);
        name ??= src.Text(src.Get(map, "name"), $"{what} name");
        if (name is null) { src.Fail(map, $"{what} needs a name: so later steps and the result table can refer to it"); return null; }
        var timeout = src.Duration(src.Get(map, "timeout"), $"{what} timeout") ?? DefaultTimeout;
        var keep = src.Bool(src.Get(map, "continueOnError"), $"{what} continueOnError") ?? false;
        var kinds = Kinds.Where(k => src.Get(map, k) is not null).ToList();
        if (kinds.Count != 1)
        {
            src.Fail(map, $"{what} '{name}' must have exactly one of {string.Join(", ", Kinds)}" + (kinds.Count > 1 ? $", not {string.Join(" and ", kinds)}" : ""));
            return null;
        }
        var body = src.Get(map, kinds[0])!;
        return kinds[0] switch
        {
            "http" => Http(body, name, timeout, keep, what),
            "tcp" => Tcp(body, name, timeout, keep, what),
            "dns" => Dns(body, name, timeout, keep, what),
            "sql" => Sql(body, name, timeout, keep, what),
            _ => Script(body, name, timeout, keep, what),
        };
    }

    private HttpStep? Http(YamlNode node, string name, TimeSpan timeout, bool keep, string what)
    {
        if (node is YamlScalarNode) return Text(node, "url") is { } u ? new HttpStep(name, timeout, keep, "GET", u, new Dictionary<string, TextValue>(), null, new HttpExpectation(200, null, null, null), DefaultMaxBytes) : null;
        var m = src.Map(node, $"{what} '{name}' http");
        src.OnlyKeys(m, "http", "method", "url", "headers", "body", "expect", "maxBytes");
        var url = Text(src.Get(m, "url"), "http url");
        if (url is null) { src.Fail(node, $"{what} '{name}': http needs url:"); return null; }
        var method = (src.Text(src.Get(m, "method"), "http method") ?? "GET").ToUpperInvariant();
        if (method is not ("GET" or "HEAD" or "POST" or "PUT" or "PATCH" or "DELETE" or "OPTIONS")) src.Fail(src.Get(m, "method"), $"'{method}' is not an HTTP method (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS)");
        var headers = new Dictionary<string, TextValue>(StringComparer.OrdinalIgnoreCase);
        foreach (var (k, _, v) in src.Entries(src.Map(src.Get(m, "headers"), "http headers")))
            if (Text(v, $"header {k}") is { } hv) headers[k] = hv;
        var body = Text(src.Get(m, "body"), "http body");
        var e = src.Map(src.Get(m, "expect"), "http expect");
        src.OnlyKeys(e, "http expect", "status", "json", "equals", "contains");
        var status = src.Int(src.Get(e, "status"), "expected status");
        var json = src.Text(src.Get(e, "json"), "expect json path");
        if (json is not null && JsonPath.Parse(json).Problem is { } problem) src.Fail(src.Get(e, "json"), problem + " (see docs/configuration.md, JSON paths)");
        var equals = src.Text(src.Get(e, "equals"), "expect equals");
        if (equals is not null && json is null) src.Fail(src.Get(e, "equals"), "equals: compares the value at a JSON path; add json: $.field");
        var maxBytes = src.Int(src.Get(m, "maxBytes"), "http maxBytes") ?? (int)DefaultMaxBytes;
        return new HttpStep(name, timeout, keep, method, url, headers, body, new HttpExpectation(status ?? (json is null && src.Get(e, "contains") is null ? 200 : null), json, equals, src.Text(src.Get(e, "contains"), "expect contains")), maxBytes);
    }

    private TcpStep? Tcp(YamlNode node, string name, TimeSpan timeout, bool keep, string what)
    {
        if (node is YamlScalarNode s)
        {
            var text = s.Value ?? "";
            var colon = text.LastIndexOf(':');
            if (colon <= 0) { src.Fail(node, $"{what} '{name}': tcp is HOST:PORT, such as db.internal:5432, not '{text}'"); return null; }
            return new TcpStep(name, timeout, keep, new TextValue(text[..colon]), new TextValue(text[(colon + 1)..]));
        }
        var m = src.Map(node, "tcp");
        src.OnlyKeys(m, "tcp", "host", "port");
        var host = Text(src.Get(m, "host"), "tcp host");
        var port = Text(src.Get(m, "port"), "tcp port");
        if (host is null || port is null) { src.Fail(node, $"{what} '{name}': tcp needs host: and port:"); return null; }
        return new TcpStep(name, timeout, keep, host, port);
    }

    private DnsStep? Dns(YamlNode node, string name, TimeSpan timeout, bool keep, string what)
    {
        if (node is YamlScalarNode) return Text(node, "dns") is { } h ? new DnsStep(name, timeout, keep, h, null) : null;
        var m = src.Map(node, "dns");
        src.OnlyKeys(m, "dns", "host", "expect");
        var host = Text(src.Get(m, "host"), "dns host");
        if (host is null) { src.Fail(node, $"{what} '{name}': dns needs host:"); return null; }
        return new DnsStep(name, timeout, keep, host, src.Text(src.Get(m, "expect"), "dns expect"));
    }

    private SqlStep? Sql(YamlNode node, string name, TimeSpan timeout, bool keep, string what)
    {
        var m = src.Map(node, "sql");
        src.OnlyKeys(m, "sql", "driver", "connection", "query", "parameters", "maxRows");
        var driverText = src.Text(src.Get(m, "driver"), "sql driver");
        SqlDriver? driver = driverText switch
        {
            "postgres" or "postgresql" => SqlDriver.Postgres,
            "sqlite" => SqlDriver.Sqlite,
            _ => null,
        };
        if (driver is null) src.Fail(src.Get(m, "driver") ?? node, $"{what} '{name}': sql driver must be postgres or sqlite" + (driverText is null ? "" : $", not '{driverText}'"));
        var connection = Text(src.Get(m, "connection"), "sql connection");
        if (connection is null) src.Fail(node, $"{what} '{name}': sql needs connection: (a connection string, or {{ secret: NAME }} to keep it out of Git)");
        var query = src.Text(src.Get(m, "query"), "sql query");
        if (query is null) src.Fail(node, $"{what} '{name}': sql needs query:");
        var parameters = new Dictionary<string, TextValue>(StringComparer.Ordinal);
        foreach (var (k, _, v) in src.Entries(src.Map(src.Get(m, "parameters"), "sql parameters")))
            if (Text(v, $"sql parameter {k}") is { } pv) parameters[k] = pv;
        var maxRows = src.Int(src.Get(m, "maxRows"), "sql maxRows") ?? DefaultMaxRows;
        if (maxRows is < 1 or > 10_000) src.Fail(src.Get(m, "maxRows"), "sql maxRows must be between 1 and 10000");
        if (driver is null || connection is null || query is null) return null;
        return new SqlStep(name, timeout, keep, driver.Value, connection, query, parameters, maxRows);
    }

    private ScriptStep? Script(YamlNode node, string name, TimeSpan timeout, bool keep, string what)
    {
        var m = node is YamlScalarNode ? null : src.Map(node, "script");
        src.OnlyKeys(m, "script", "path", "args", "env", "passEnv");
        var pathNode = m is null ? node : src.Get(m, "path");
        var path = src.Text(pathNode, "script path");
        if (path is null) { src.Fail(node, $"{what} '{name}': script needs path: (a file in the config repo, such as scripts/disk.sh)"); return null; }
        if (!ScriptPaths.IsInside(path))
        {
            src.Fail(pathNode, $"script path '{path}' leaves the config repo; scripts must be files inside it, such as scripts/check.sh");
            return null;
        }
        if (!files.ContainsKey(ScriptPaths.Normalise(path)))
        {
            src.Fail(pathNode, $"script '{path}' is not in the config repo; add it (for example scripts/check.sh) or fix the path");
            return null;
        }
        var args = new List<TextValue>();
        var argsNode = src.Get(m, "args");
        if (argsNode is YamlSequenceNode seq)
            foreach (var item in seq.Children)
            {
                if (Text(item, "script argument") is { } a) args.Add(a);
            }
        else if (argsNode is not null) src.Fail(argsNode, "script args must be a list, such as [\"{{ host }}\", --verbose]; each item is one argument, never split by a shell");
        var env = new Dictionary<string, TextValue>(StringComparer.Ordinal);
        foreach (var (k, kn, v) in src.Entries(src.Map(src.Get(m, "env"), "script env")))
        {
            if (!EnvironmentName(k)) src.Fail(kn, $"'{k}' is not an environment variable name (letters, digits and _)");
            else if (Text(v, $"env {k}") is { } ev) env[k] = ev;
        }
        var pass = src.Strings(src.Get(m, "passEnv"), "script passEnv").Select(p => p.Value).ToList();
        return new ScriptStep(name, timeout, keep, ScriptPaths.Normalise(path), args, env, pass);
    }

    private static bool EnvironmentName(string k) => k.Length > 0 && !char.IsDigit(k[0]) && k.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    /// <summary>A text value: a scalar, or <c>{ secret: NAME }</c>.</summary>
    public TextValue? Text(YamlNode? node, string what)
    {
        if (node is YamlMappingNode m)
        {
            src.OnlyKeys(m, what, "secret");
            var secret = src.Text(src.Get(m, "secret"), $"{what} secret");
            if (secret is null) { src.Fail(node, $"{what} must be a value or {{ secret: NAME }}"); return null; }
            if (!Core.Secrets.SecretStore.ValidName(secret)) { src.Fail(src.Get(m, "secret"), $"secret names use letters, digits, '-' and '_'; '{secret}' does not"); return null; }
            return new TextValue("", secret, (int)node.Start.Line, (int)node.Start.Column);
        }
        var t = src.Text(node, what);
        return t is null ? null : new TextValue(t, null, node is null ? 0 : (int)node.Start.Line);
    }
}

/// <summary>Checks that a script path stays inside the config repo.</summary>
public static class ScriptPaths
{
    public static string Normalise(string path)
    {
        var p = path.Replace('\\', '/');
        while (p.StartsWith("./", StringComparison.Ordinal)) p = p[2..];
        return p;
    }

    public static bool IsInside(string path)
    {
        var p = path.Replace('\\', '/');
        if (p.Length == 0 || p.StartsWith('/') || p.Contains(':')) return false;
        var depth = 0;
        foreach (var part in p.Split('/'))
        {
            if (part == "..") depth--;
            else if (part is not ("" or ".")) depth++;
            if (depth < 0) return false;
        }
        return !p.Split('/').Contains("..");
    }
}
