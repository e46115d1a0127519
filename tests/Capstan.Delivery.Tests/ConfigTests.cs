using Capstan.Core;
using Capstan.Core.Config;
using Capstan.Delivery.Apps;

namespace Capstan.Delivery.Tests;

public sealed class ConfigTests
{
    private static readonly ConfigLoader Loader = new([DeliveryModule.Section]);

    private static Dictionary<string, string> Seed() => new(DemoSeed.Files([DeliveryModule.Section]));

    private static IReadOnlyList<string> Errors(Dictionary<string, string> files)
    {
        var ex = Assert.Throws<ConfigException>(() => Loader.Load("x", DateTimeOffset.UnixEpoch, files));
        return ex.Errors.Select(e => e.ToString()).ToList();
    }

    [Fact]
    public void The_seed_declares_the_demo_app_and_pins_dev_and_staging()
    {
        var cfg = Loader.Load("x", DateTimeOffset.UnixEpoch, Seed()).Get<DeliveryConfig>();
        var demo = cfg.Apps["demo"];
        Assert.Equal(["1.0.0", "1.1.0", "1.2.0", "1.3.0"], demo.VersionOrder);
        Assert.Equal(["{capstan}", "demo-app", "--port", "{port}", "--version", "{version}"], demo.Run.Command);
        Assert.Equal("/healthz", demo.Health.Path);
        Assert.Equal("1.0.0", cfg.DesiredVersionOf(new Slot("demo", "dev")));
        Assert.Equal("1.0.0", cfg.DesiredVersionOf(new Slot("demo", "staging")));
        Assert.Null(cfg.DesiredVersionOf(new Slot("demo", "prod")));
        Assert.False(cfg.Policy("dev").SelfHeal);
        Assert.True(cfg.Policy("staging").SelfHeal);
        Assert.True(cfg.Policy("prod").Protected);
        Assert.True(cfg.Policy("prod").AutoRollback);
    }

    [Fact]
    public void Mistakes_in_app_and_environment_files_are_reported_with_file_and_line()
    {
        var files = Seed();
        files["apps/api.yaml"] = "run:\n  command: api --port {prot}\nversions:\n  1.0: {}\n  2.0.0: { artifact: https://example.com/api.tgz }\n";
        files["environments/staging/demo.yaml"] = "version: 1.9.0\n";
        files["environments/qa/demo.yaml"] = "version: 1.0.0\n";
        files["apps/web.yaml"] = "run: { command: [web] }\nversions:\n  1.0.0: {}\n  bad: [\n";
        var errors = Errors(files);
        Assert.Contains(errors, e => e.StartsWith("apps/api.yaml:2:12: run.command must be a list", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("apps/api.yaml:4:3: '1.0' is not a semantic version", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("apps/api.yaml:5:22: artifact https://example.com/api.tgz is downloaded, so it needs sha256:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("environments/staging/demo.yaml:1:10: unknown version '1.9.0' of demo — did you mean '1.0.0'?", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("environments/qa/demo.yaml: unknown environment 'qa'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("apps/web.yaml:5:1: invalid YAML", StringComparison.Ordinal));
    }

    [Fact]
    public void Unknown_placeholders_and_keys_get_a_suggestion()
    {
        var files = Seed();
        files["apps/api.yaml"] = "run:\n  command: [api, --port, \"{prot}\"]\nhelth: { path: /h }\nversions: { 1.0.0: {} }\n";
        var errors = Errors(files);
        Assert.Contains(errors, e => e.Contains("apps/api.yaml:2:26: unknown placeholder {prot} — did you mean {port}?"));
        Assert.Contains(errors, e => e.Contains("apps/api.yaml:3:1: unknown key 'helth' in apps/api.yaml — did you mean 'health'?"));
    }

    [Fact]
    public void Each_environment_names_its_target_and_an_unknown_one_is_reported_with_file_and_line()
    {
        var files = Seed();
        const string staging = "  staging: { room: ops, autoRollback: true, selfHeal: true }";
        Assert.Contains(staging, files["capstan.yaml"]);
        files["capstan.yaml"] = files["capstan.yaml"].Replace(staging, "  staging: { room: ops, autoRollback: true, selfHeal: true, target: process }");
        var cfg = Loader.Load("x", DateTimeOffset.UnixEpoch, files).Get<DeliveryConfig>();
        Assert.Equal("process", cfg.Policy("staging").Target);
        Assert.Equal("process", cfg.Policy("dev").Target); // the default

        files["capstan.yaml"] = files["capstan.yaml"].Replace("target: process", "target: procss");
        var errors = Errors(files);
        Assert.Contains(errors, e => e.StartsWith("capstan.yaml:", StringComparison.Ordinal)
            && e.Contains("unknown target 'procss' — did you mean 'process'? Known targets: process. environments.staging.target names where its apps run", StringComparison.Ordinal));
    }

    [Fact]
    public void Semantic_versions_sort_by_number_and_pre_releases_come_first()
    {
        var sorted = new[] { "1.10.0", "1.2.0", "1.2.0-rc.1", "0.9.9" }.OrderBy(v => v, SemanticVersionOrder.Instance).ToArray();
        Assert.Equal(["0.9.9", "1.2.0-rc.1", "1.2.0", "1.10.0"], sorted);
    }

    [Fact]
    public void Pre_releases_follow_semantic_version_precedence_not_text_order()
    {
        // rc.10 is the tenth candidate, after rc.2; numeric identifiers sort before alphanumeric ones; a longer tag
        // with the same start comes after the shorter one; build metadata does not change the order.
        var sorted = new[] { "2.0.0", "2.0.0-rc.10", "2.0.0-rc.beta", "2.0.0-rc.2", "2.0.0-rc.2.1", "2.0.0-alpha", "1.9.0+build.7" }
            .OrderBy(v => v, SemanticVersionOrder.Instance).ToArray();
        Assert.Equal(["1.9.0+build.7", "2.0.0-alpha", "2.0.0-rc.2", "2.0.0-rc.2.1", "2.0.0-rc.10", "2.0.0-rc.beta", "2.0.0"], sorted);
        Assert.True(SemanticVersionOrder.Instance.Compare("1.0.0+zzz", "1.0.1") < 0);
        Assert.True(SemanticVersionOrder.Instance.Compare("1.0.0+zzz", "1.0.0-rc.1") > 0);
    }

    [Fact]
    public void An_app_lists_its_release_candidates_in_the_order_they_were_cut()
    {
        var files = Seed();
        files["apps/api.yaml"] = "run:\n  command: [api, --port, \"{port}\"]\nhealth: { path: /h }\nversions:\n  2.0.0: {}\n  2.0.0-rc.10: {}\n  2.0.0-rc.2: {}\n  2.0.0-rc.1: {}\n";
        var api = Loader.Load("x", DateTimeOffset.UnixEpoch, files).Get<DeliveryConfig>().Apps["api"];
        Assert.Equal(["2.0.0-rc.1", "2.0.0-rc.2", "2.0.0-rc.10", "2.0.0"], api.VersionOrder);
    }
}
