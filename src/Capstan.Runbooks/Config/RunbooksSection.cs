using Capstan.Core.Secrets;
using Capstan.Core.Commands;
using Capstan.Core.Config;
using YamlDotNet.RepresentationModel;

namespace Capstan.Runbooks.Config;

/// <summary>
/// Reads <c>runbooks/NAME.yaml</c> (diagnostics runbooks) and the <c>products:</c> key of capstan.yaml
/// (services checked together by <c>check PRODUCT</c>). Every problem is reported with file:line.
/// </summary>
public sealed class RunbooksSection : IConfigSection
{
    public const string Folder = "runbooks/";
    private static readonly string[] RunbookKeys = ["description", "parameters", "steps", "timeout", "destinations", "secrets"];
    private static readonly string[] ParameterKeys = ["type", "required", "default", "values", "description"];
    public static readonly TimeSpan DefaultRunbookTimeout = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan DefaultBudget = TimeSpan.FromSeconds(10);

    public IReadOnlyList<string> TopLevelKeys => ["products"];

    public IReadOnlyDictionary<string, string> Seed => new Dictionary<string, string>
    {
        ["runbooks/http-check.yaml"] = """
            # A diagnostics runbook: `diag http-check url=http://127.0.0.1:PORT/healthz` in chat.
            # Steps run in order; a failed step stops the run unless it says continueOnError: true.
            # Reference: docs/runbooks.md.
            description: Check that a web endpoint answers and its port is open
            parameters:
              url: { type: url, required: true, description: "the address to call, e.g. the demo app's /healthz (see `status`)" }
            # Where an address typed in chat may point: the demo apps on this machine. Anywhere else needs the
            # caller to hold permission reach-any (and loopback/private addresses also need egress: in capstan.yaml).
            destinations: [127.0.0.1, localhost]
            timeout: 1m
            steps:
              - name: answer
                http:
                  url: "{{ url }}"
                  expect: { status: 200 }
                timeout: 10s
              - name: port
                tcp: { host: "{{ steps.answer.host }}", port: "{{ steps.answer.port }}" }
                timeout: 5s

            """,
    };

    public string SeedMain => """
        # Products: `check demo` probes the demo app in every environment that runs it, in parallel. Add the
        # services a product depends on under services: (http, tcp, dns, sql); reference: docs/runbooks.md.
        products:
          demo:
            description: The demo app, everywhere it runs
            budget: 10s
            apps: [demo]
        """;

    public object Read(ConfigReading reading)
    {
        var runbooks = new Dictionary<string, Runbook>(StringComparer.Ordinal);
        foreach (var path in reading.Files.Keys.Where(p => p.StartsWith(Folder, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            if (!path.EndsWith(".yaml", StringComparison.Ordinal) && !path.EndsWith(".yml", StringComparison.Ordinal)) continue;
            var name = Path.GetFileNameWithoutExtension(path);
            if (path.Count(c => c == '/') != 1 || !ValidName(name))
            {
                reading.Errors.Add(new ConfigError(path, 0, 0, $"runbook files are runbooks/NAME.yaml with NAME in lower-case letters, digits, '-' or '_'; rename {path}"));
                continue;
            }
            if (ReadRunbook(reading.Parse(path), name, reading.Files) is { } rb) runbooks[name] = rb;
        }
        var products = ReadProducts(reading.Main, reading.Files);
        var commands = new Dictionary<string, CustomCommand>(StringComparer.OrdinalIgnoreCase);
        foreach (var path in reading.Files.Keys.Where(p => p.StartsWith(CommandReader.Folder, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            if (!path.EndsWith(".yaml", StringComparison.Ordinal) && !path.EndsWith(".yml", StringComparison.Ordinal)) continue;
            if (CommandReader.Read(reading.Parse(path), Path.GetFileNameWithoutExtension(path), reading.Files, runbooks) is not { } command) continue;
            if (commands.TryGetValue(command.Name, out var other))
                reading.Errors.Add(new ConfigError(path, 0, 0, $"{other.File} already declares the command '{command.Name}'; rename one of them"));
            else commands[command.Name] = command;
        }
        return new RunbookBook(runbooks, products, commands);
    }

    public static bool ValidName(string name) => name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_');

    private static Runbook? ReadRunbook(YamlSource src, string name, IReadOnlyDictionary<string, string> files)
    {
        if (src.Root is null) return null;
        var root = src.Map(src.Root, $"runbook {name}");
        if (root is null) return null;
        src.OnlyKeys(root, $"runbook {name}", RunbookKeys);
        var parameters = new List<RunbookParameter>();
        foreach (var (key, keyNode, value) in src.Entries(src.Map(src.Get(root, "parameters"), "parameters")))
        {
            if (!ValidParameter(key)) { src.Fail(keyNode, $"parameter names use letters, digits and '_'; '{key}' does not"); continue; }
            if (ReadParameter(src, key, value) is { } p) parameters.Add(p);
        }
        var reader = new StepReader(src, files);
        var steps = new List<Step>();
        var stepsNode = src.Get(root, "steps");
        if (stepsNode is YamlSequenceNode seq)
        {
            foreach (var item in seq.Children)
                if (reader.Read(item, null, "step") is { } step)
                {
                    if (steps.Any(s => s.Name == step.Name)) src.Fail(item, $"two steps are named '{step.Name}'; names must differ so results can be referred to");
                    else steps.Add(step);
                }
        }
        else src.Fail(stepsNode ?? root, $"runbook {name} needs steps: a list of http, tcp, dns, sql or script steps");
        if (IsEmptyList(stepsNode)) src.Fail(stepsNode, $"runbook {name} has no steps");
        var timeout = src.Duration(src.Get(root, "timeout"), "runbook timeout") ?? DefaultRunbookTimeout;
        var reach = ReadReach(src, root);
        CheckSecretsBound(src, steps, reach);
        return new Runbook(name, src.File, src.Text(src.Get(root, "description"), "description") ?? "", parameters, steps, timeout, reach);
    }

    /// <summary>Reads <c>destinations: [ORIGIN | HOST, …]</c> and <c>secrets: { NAME: [ORIGIN | HOST, …] }</c>.</summary>
    private static RunbookReach ReadReach(YamlSource src, YamlMappingNode root)
    {
        List<Destination> List(YamlNode? node, string what)
        {
            var list = new List<Destination>();
            foreach (var (text, item) in src.Strings(node, what))
            {
                if (Destination.Parse(text) is { } d) list.Add(d);
                else src.Fail(item, $"'{text}' is not a destination: write an origin such as https://api.example.com or http://127.0.0.1:8080, or a host such as db.internal or *.example.com");
            }
            return list;
        }
        var destinations = List(src.Get(root, "destinations"), "destinations");
        var secrets = new Dictionary<string, IReadOnlyList<Destination>>(StringComparer.Ordinal);
        foreach (var (secret, keyNode, value) in src.Entries(src.Map(src.Get(root, "secrets"), "secrets")))
        {
            if (!Core.Secrets.SecretStore.ValidName(secret)) { src.Fail(keyNode, $"secret names use letters, digits, '-' and '_'; '{secret}' does not"); continue; }
            var list = List(value, $"secrets.{secret}");
            if (list.Count == 0) src.Fail(value, $"list where secret '{secret}' may be sent, such as {secret}: [https://api.example.com]");
            secrets[secret] = list;
        }
        return new RunbookReach(destinations, secrets);
    }

    /// <summary>
    /// A secret in an http step goes only where the runbook binds it: to a destination under secrets:, or, when not
    /// listed there, only to an address written in the step. Refused when the runbook is committed, not when it runs.
    /// </summary>
    private static void CheckSecretsBound(YamlSource src, IEnumerable<Step> steps, RunbookReach reach)
    {
        foreach (var step in steps.OfType<HttpStep>())
        {
            var carried = step.Headers.Values.Append(step.Body).OfType<TextValue>().Where(v => v.Secret is not null);
            foreach (var value in carried)
            {
                var secret = value.Secret!;
                if (step.Url.Secret is not null) continue; // the address is itself a secret: written by whoever holds it
                var fixedUrl = step.Url.DecidedAtRunTime ? null : Uri.TryCreate(step.Url.Text, UriKind.Absolute, out var u) ? u : null;
                if (reach.Secrets.TryGetValue(secret, out var allowed))
                {
                    if (fixedUrl is not null && !allowed.Any(d => d.Matches(fixedUrl)))
                        src.Errors.Add(new ConfigError(src.File, value.Line, value.Column, $"step '{step.Name}' sends secret '{secret}' to {fixedUrl.Scheme}://{fixedUrl.Authority}, but secrets: lets it go only to {string.Join(", ", allowed)}"));
                }
                else if (step.Url.DecidedAtRunTime)
                    src.Errors.Add(new ConfigError(src.File, value.Line, value.Column, $"step '{step.Name}' sends secret '{secret}' to an address decided when the runbook runs ({step.Url.Text}), " +
                        $"so it could go anywhere; bind it to where it belongs, such as secrets: {{ {secret}: [https://api.example.com] }}"));
            }
        }
    }

    private static bool IsEmptyList(YamlNode? node) => node is YamlSequenceNode s && s.Children.Count == 0;

    internal static bool ValidParameter(string key) => key.Length > 0 && char.IsAsciiLetter(key[0]) && key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') && key != "steps";

    internal static RunbookParameter? ReadParameter(YamlSource src, string name, YamlNode node)
    {
        var m = src.Map(node, $"parameter {name}");
        src.OnlyKeys(m, $"parameter {name}", ParameterKeys);
        var typeText = src.Text(src.Get(m, "type"), "parameter type") ?? "text";
        if (!Enum.TryParse<ParameterType>(typeText, true, out var type) || typeText.Any(char.IsUpper))
        {
            src.Fail(src.Get(m, "type"), $"parameter type must be one of text, int, bool, host, url, enum; not '{typeText}'");
            return null;
        }
        var values = src.Strings(src.Get(m, "values"), "values").Select(v => v.Value).ToList();
        if (type == ParameterType.Enum && values.Count == 0) src.Fail(node, $"parameter {name} is an enum: list its values, such as values: [fast, full]");
        var required = src.Bool(src.Get(m, "required"), "required") ?? false;
        var def = src.Text(src.Get(m, "default"), "default");
        return new RunbookParameter(name, type, required && def is null, def, values, src.Text(src.Get(m, "description"), "description") ?? "");
    }

    private static Dictionary<string, Product> ReadProducts(YamlSource main, IReadOnlyDictionary<string, string> files)
    {
        var products = new Dictionary<string, Product>(StringComparer.Ordinal);
        var root = main.Root as YamlMappingNode;
        var reader = new StepReader(main, files);
        // Apps are the delivery module's apps/NAME.yaml files: each is probed in every environment that runs it. A repo
        // with no apps/ at all (Capstan without its delivery module) leaves the answer to `check` itself.
        var known = files.Keys.Where(f => f.StartsWith("apps/", StringComparison.Ordinal) && f.IndexOf('/', "apps/".Length) < 0
                && (f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal)))
            .Select(Path.GetFileNameWithoutExtension).OfType<string>().ToList();
        foreach (var (name, keyNode, value) in main.Entries(main.Map(main.Get(root, "products"), "products")))
        {
            if (!ValidName(name)) { main.Fail(keyNode, $"product names use lower-case letters, digits, '-' or '_'; '{name}' does not"); continue; }
            var m = main.Map(value, $"product {name}");
            main.OnlyKeys(m, $"product {name}", "description", "budget", "apps", "services");
            var apps = new List<string>();
            foreach (var (app, node) in main.Strings(main.Get(m, "apps"), $"product {name} apps"))
            {
                if (known.Count == 0 || known.Contains(app, StringComparer.Ordinal)) apps.Add(app);
                else main.Fail(node, $"product {name}: " + ArgumentKind.Unknown("app", app, known) + $". Declare it in apps/{app}.yaml or remove it");
            }
            var services = new List<Step>();
            var entries = main.Entries(main.Map(main.Get(m, "services"), $"product {name} services")).ToList();
            foreach (var (service, _, spec) in entries)
                if (reader.Read(spec, service, $"product {name} service") is { } s)
                    services.Add(s);
            if (entries.Count == 0 && apps.Count == 0 && main.Get(m, "apps") is null)
                main.Fail(m ?? keyNode, $"product {name} checks nothing: list its apps under apps: and its http endpoints, tcp ports and databases under services:");
            var budget = main.Duration(main.Get(m, "budget"), "product budget") ?? DefaultBudget;
            products[name] = new Product(name, main.Text(main.Get(m, "description"), "description") ?? "", services, budget, apps);
        }
        return products;
    }
}
