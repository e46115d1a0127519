using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Delivery.Targets;
using YamlDotNet.RepresentationModel;

namespace Capstan.Delivery.Apps;

/// <summary>
/// Reads the delivery part of a config commit: <c>apps/APP.yaml</c> (how to run and check each app),
/// <c>environments/ENV/APP.yaml</c> (the version each environment should run), <c>locks/ENV.yaml</c>
/// (environment freezes), the <c>delivery:</c> key and the per-environment keys <c>autoRollback</c>, <c>selfHeal</c> and <c>target</c>.
/// Every problem is reported with file:line.
/// </summary>
public sealed class DeliverySection : IConfigSection
{
    public const string AppsFolder = "apps/";
    public const string EnvironmentsFolder = "environments/";
    public const string LocksFolder = "locks/";
    public static readonly string[] Placeholders = ["capstan", "port", "version", "app", "env", "artifact", "workdir"];
    private static readonly string[] AppKeys = ["description", "run", "health", "versions"];
    private static readonly string[] RunKeys = ["command", "environment", "stopTimeout"];
    private static readonly string[] HealthKeys = ["path", "expectStatus", "timeout", "deadline", "interval"];
    private static readonly string[] VersionKeys = ["artifact", "sha256", "note"];

    public IReadOnlyList<string> TopLevelKeys => ["delivery"];

    public IReadOnlyList<string> EnvironmentKeys => ["autoRollback", "selfHeal", "target"];

    public static string AppFile(string app) => $"{AppsFolder}{app}.yaml";
    public static string DesiredFile(Slot slot) => $"{EnvironmentsFolder}{slot.Environment}/{slot.App}.yaml";
    public static string LockFile(string environment) => $"{LocksFolder}{environment}.yaml";

    public IReadOnlyDictionary<string, string> Seed => DemoAppSeed.Files;

    public IReadOnlyDictionary<string, string> SeedEnvironment(string environment) => environment switch
    {
        // dev is where people experiment: drift is reported, not undone. staging and prod heal themselves.
        "dev" => new Dictionary<string, string> { ["autoRollback"] = "true", ["selfHeal"] = "false" },
        _ => new Dictionary<string, string> { ["autoRollback"] = "true", ["selfHeal"] = "true" },
    };

    public object Read(ConfigReading reading)
    {
        var main = reading.Main;
        var root = main.Root as YamlMappingNode;
        var settings = ReadSettings(main, main.Get(root, "delivery"));
        var environments = ReadEnvironments(reading, main, root);

        var apps = new Dictionary<string, AppSpec>(StringComparer.Ordinal);
        foreach (var path in reading.Files.Keys.Where(p => p.StartsWith(AppsFolder, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            if (!IsYaml(path)) continue;
            var name = Path.GetFileNameWithoutExtension(path);
            if (path.Count(c => c == '/') != 1 || !ValidName(name))
            {
                reading.Errors.Add(new ConfigError(path, 0, 0, $"app files are apps/NAME.yaml with NAME in lower-case letters, digits, '-' or '_'; rename {path}"));
                continue;
            }
            if (ReadApp(reading.Parse(path), name) is { } app) apps[name] = app;
        }

        var desired = new Dictionary<Slot, DesiredVersion>();
        foreach (var path in reading.Files.Keys.Where(p => p.StartsWith(EnvironmentsFolder, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            if (!IsYaml(path)) continue;
            var parts = path.Split('/');
            if (parts.Length != 3)
            {
                reading.Errors.Add(new ConfigError(path, 0, 0, "desired versions live in environments/ENV/APP.yaml; move this file"));
                continue;
            }
            var env = parts[1];
            var appName = Path.GetFileNameWithoutExtension(parts[2]);
            if (!environments.ContainsKey(env))
            {
                reading.Errors.Add(new ConfigError(path, 0, 0, ArgumentKind.Unknown("environment", env, environments.Keys) + ". Declare it under environments: in capstan.yaml or move the file."));
                continue;
            }
            if (!apps.TryGetValue(appName, out var app))
            {
                reading.Errors.Add(new ConfigError(path, 0, 0, ArgumentKind.Unknown("app", appName, apps.Keys) + $". Add apps/{appName}.yaml or remove this file."));
                continue;
            }
            var slot = new Slot(appName, env);
            if (PlainPin(reading.Files[path]) is { } pinned && app.Versions.ContainsKey(pinned))
            {
                // The usual one-line file needs no YAML parser (this keeps 10,000-app repos fast to load).
                desired[slot] = new DesiredVersion(slot, pinned, path);
                continue;
            }
            var y = reading.Parse(path);
            var m = y.Map(y.Root, path);
            if (m is null) { if (y.Errors.All(e => e.File != path)) y.Fail(y.Root, "this file needs `version: X.Y.Z`"); continue; }
            y.OnlyKeys(m, path, "version");
            var versionNode = y.Get(m, "version");
            var version = y.Text(versionNode, "version");
            if (version is null) { y.Fail(m, "this file needs `version: X.Y.Z`"); continue; }
            if (!app.Versions.ContainsKey(version))
            {
                y.Fail(versionNode, Sentences.UnknownVersion(app, version) + $". Declare it under versions: in {app.File}.");
                continue;
            }
            desired[slot] = new DesiredVersion(slot, version, path);
        }

        var locks = new Dictionary<string, EnvironmentLock>(StringComparer.Ordinal);
        foreach (var path in reading.Files.Keys.Where(p => p.StartsWith(LocksFolder, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            if (!IsYaml(path)) continue;
            var env = Path.GetFileNameWithoutExtension(path);
            if (!environments.ContainsKey(env))
            {
                reading.Errors.Add(new ConfigError(path, 0, 0, ArgumentKind.Unknown("environment", env, environments.Keys) + ". Remove this lock file."));
                continue;
            }
            var y = reading.Parse(path);
            var m = y.Map(y.Root, path);
            y.OnlyKeys(m, path, "by", "reason", "at");
            var at = y.Text(y.Get(m, "at"), "at") is { } t && DateTimeOffset.TryParse(t, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var when) ? when : DateTimeOffset.MinValue;
            locks[env] = new EnvironmentLock(env, y.Text(y.Get(m, "by"), "by") ?? "someone", y.Text(y.Get(m, "reason"), "reason") ?? "no reason given", at, path);
        }
        return new DeliveryConfig(apps, desired, locks, environments, settings);
    }

    private static DeliverySettings ReadSettings(YamlSource main, YamlNode? node)
    {
        var m = main.Map(node, "delivery");
        if (m is null) return DeliverySettings.Default;
        main.OnlyKeys(m, "delivery", "approvalTimeout");
        var ttl = main.Duration(main.Get(m, "approvalTimeout"), "delivery.approvalTimeout") ?? DeliverySettings.Default.ApprovalTimeout;
        if (ttl <= TimeSpan.Zero) { main.Fail(main.Get(m, "approvalTimeout"), "delivery.approvalTimeout must be longer than zero"); ttl = DeliverySettings.Default.ApprovalTimeout; }
        return new DeliverySettings(ttl);
    }

    private static Dictionary<string, EnvironmentPolicy> ReadEnvironments(ConfigReading reading, YamlSource main, YamlMappingNode? root)
    {
        var result = new Dictionary<string, EnvironmentPolicy>(StringComparer.Ordinal);
        var envMap = main.Get(root, "environments") as YamlMappingNode;
        foreach (var info in reading.Policy.Environments.Values)
        {
            var m = envMap is null ? null : main.Get(envMap, info.Name) as YamlMappingNode;
            var autoRollback = main.Bool(main.Get(m, "autoRollback"), $"environments.{info.Name}.autoRollback") ?? true;
            var selfHeal = main.Bool(main.Get(m, "selfHeal"), $"environments.{info.Name}.selfHeal") ?? true;
            var targetNode = main.Get(m, "target");
            var target = main.Text(targetNode, $"environments.{info.Name}.target") ?? TargetRegistry.Default;
            if (!TargetRegistry.BuiltIn.Contains(target))
            {
                main.Fail(targetNode, ArgumentKind.Unknown("target", target, TargetRegistry.BuiltIn) + $". environments.{info.Name}.target names where its apps run; leave it out for the process target.");
                target = TargetRegistry.Default;
            }
            result[info.Name] = new EnvironmentPolicy(info.Name, info.Protected, info.Room, autoRollback, selfHeal, target);
        }
        return result;
    }

    private static AppSpec? ReadApp(YamlSource y, string name)
    {
        var errorsBefore = y.Errors.Count;
        var m = y.Map(y.Root, y.File);
        if (m is null)
        {
            if (y.Errors.Count == errorsBefore) y.Fail(y.Root, $"{y.File} is empty; an app needs run: and versions:");
            return null;
        }
        y.OnlyKeys(m, y.File, AppKeys);
        var description = y.Text(y.Get(m, "description"), "description") ?? "";

        var runNode = y.Get(m, "run");
        var run = y.Map(runNode, "run");
        if (run is null && runNode is null) y.Fail(m, "an app needs run: { command: [PROGRAM, ARG…] }");
        y.OnlyKeys(run, "run", RunKeys);
        var commandNode = y.Get(run, "command");
        var command = new List<string>();
        if (commandNode is YamlSequenceNode)
            command.AddRange(y.Strings(commandNode, "run.command").Select(s => s.Value));
        else if (run is not null)
            y.Fail(commandNode ?? run, "run.command must be a list: the program and its arguments, e.g. [\"{capstan}\", demo-app, --port, \"{port}\"] (no shell is used)");
        if (commandNode is YamlSequenceNode && command.Count == 0) y.Fail(commandNode, "run.command must name a program");
        foreach (var (arg, node) in y.Strings(commandNode as YamlSequenceNode, "run.command"))
            CheckPlaceholders(y, node, arg);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, keyNode, value) in y.Entries(y.Map(y.Get(run, "environment"), "run.environment")))
        {
            if (key.Length == 0 || !key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')) { y.Fail(keyNode, $"environment variable name '{key}' may only use letters, digits and '_'"); continue; }
            var v = y.Text(value, $"run.environment.{key}") ?? "";
            CheckPlaceholders(y, value, v);
            environment[key] = v;
        }
        var stop = y.Duration(y.Get(run, "stopTimeout"), "run.stopTimeout") ?? TimeSpan.FromSeconds(5);

        var healthNode = y.Get(m, "health");
        var h = y.Map(healthNode, "health");
        y.OnlyKeys(h, "health", HealthKeys);
        var d = HealthSpec.Default;
        var pathNode = y.Get(h, "path");
        var path = h is null ? d.Path : y.Text(pathNode, "health.path");
        if (path is not null && !path.StartsWith('/')) { y.Fail(pathNode, $"health.path must start with '/', like /healthz (not '{path}')"); path = "/" + path; }
        var expect = y.Int(y.Get(h, "expectStatus"), "health.expectStatus") ?? d.ExpectStatus;
        if (expect is < 100 or > 599) y.Fail(y.Get(h, "expectStatus"), $"health.expectStatus must be an HTTP status between 100 and 599, not {expect}");
        var health = new HealthSpec(path, expect,
            Positive(y, h, "timeout", d.Timeout), Positive(y, h, "deadline", d.Deadline), Positive(y, h, "interval", d.Interval));

        var versions = new Dictionary<string, VersionSpec>(StringComparer.Ordinal);
        var versionsNode = y.Get(m, "versions");
        if (versionsNode is null) y.Fail(m, "an app needs versions: (for example `versions: { 1.0.0: {} }`)");
        foreach (var (version, keyNode, value) in y.Entries(y.Map(versionsNode, "versions")))
        {
            if (!SemanticVersionText.IsValid(version)) { y.Fail(keyNode, $"'{version}' is not a semantic version (write it like 1.4.2 or 2.0.0-rc.1)"); continue; }
            var vm = y.Map(value, $"version {version}");
            y.OnlyKeys(vm, $"version {version}", VersionKeys);
            var artifactNode = y.Get(vm, "artifact");
            var artifact = y.Text(artifactNode, $"versions.{version}.artifact");
            var sha = y.Text(y.Get(vm, "sha256"), $"versions.{version}.sha256");
            if (sha is not null && (sha.Length != 64 || !sha.All(char.IsAsciiHexDigit)))
                y.Fail(y.Get(vm, "sha256"), $"versions.{version}.sha256 must be 64 hexadecimal characters");
            if (artifact is not null && Uri.TryCreate(artifact, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && sha is null)
                y.Fail(artifactNode, $"artifact {artifact} is downloaded, so it needs sha256: (the expected checksum) next to it");
            versions[version] = new VersionSpec(version, artifact, sha?.ToLowerInvariant(), y.Text(y.Get(vm, "note"), $"versions.{version}.note"));
        }
        if (y.Errors.Count > errorsBefore || run is null) return null;
        return new AppSpec(name, description, new RunSpec(command, environment, stop), health, versions, y.File);
    }

    private static TimeSpan Positive(YamlSource y, YamlMappingNode? m, string key, TimeSpan fallback)
    {
        var node = y.Get(m, key);
        var value = y.Duration(node, "health." + key) ?? fallback;
        if (value > TimeSpan.Zero) return value;
        y.Fail(node, $"health.{key} must be longer than zero");
        return fallback;
    }

    private static void CheckPlaceholders(YamlSource y, YamlNode node, string text)
    {
        var i = 0;
        while ((i = text.IndexOf('{', i)) >= 0)
        {
            var end = text.IndexOf('}', i);
            if (end < 0) { y.Fail(node, $"'{text}' has a '{{' that is never closed"); return; }
            var name = text[(i + 1)..end];
            if (!Placeholders.Contains(name))
                y.Fail(node, $"unknown placeholder {{{name}}}" + (Suggest.Nearest(name, Placeholders) is { } near ? $" — did you mean {{{near}}}?" : "") +
                    $" Known placeholders: {string.Join(", ", Placeholders.Select(p => "{" + p + "}"))}");
            i = end + 1;
        }
    }

    /// <summary>The version of a file that is exactly <c>version: X.Y.Z</c> (one line), else null.</summary>
    private static string? PlainPin(string text)
    {
        var t = text.AsSpan().TrimEnd();
        if (!t.StartsWith("version: ", StringComparison.Ordinal)) return null;
        var v = t["version: ".Length..];
        foreach (var c in v)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '+')) return null;
        return v.Length > 0 && SemanticVersionText.IsValid(v.ToString()) ? v.ToString() : null;
    }

    private static bool IsYaml(string path) => path.EndsWith(".yaml", StringComparison.Ordinal) || path.EndsWith(".yml", StringComparison.Ordinal);

    internal static bool ValidName(string s) =>
        s.Length is > 0 and <= 64 && s.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_');
}
