using Capstan.Incidents.Config;

namespace Capstan.Incidents.Tests;

public sealed class ConfigTests
{
    [Fact]
    public async Task The_demo_seed_has_severities_a_schedule_and_routes_that_validate()
    {
        await using var t = await IncidentNode.StartAsync();
        var settings = t.Node.Config.Current.Get<IncidentsConfig>();
        Assert.Equal(["sev1", "sev2", "sev3"], settings.SeverityNames);
        Assert.Equal("platform", Assert.Single(settings.Schedules.Keys));
        Assert.Equal(3, settings.Schedules["platform"].Escalation.Count);
        Assert.Contains(settings.Routes, r => r.Events.Contains("deploy.failed"));
        Assert.Contains("On call now", await t.RunAsync("alice", "oncall who"));
    }

    [Theory]
    [InlineData("notify: [ops, \"oncall:platform\", \"@alice\"]", "notify: [ops, \"@dave\"]", "unknown person 'dave'")]
    [InlineData("notify: [ops, \"oncall:platform\", \"@alice\"]", "notify: [ops, \"oncall:platfrom\"]", "unknown team 'platfrom' — did you mean 'platform'?")]
    [InlineData("notify: [ops, \"oncall:platform\", \"@alice\"]", "notify: [opz]", "unknown room 'opz' — did you mean 'ops'?")]
    [InlineData("notify: [ops, \"oncall:platform\", \"@alice\"]", "notify: [\"pager:main\"]", "is not a target")]
    [InlineData("handoff: \\\"0 9 * * *\\\"", "handoff: \\\"every monday\\\"", "is not a cron expression")]
    [InlineData("timezone: UTC", "timezone: Mars/Olympus", "unknown time zone 'Mars/Olympus'")]
    [InlineData("stakeholders: [ops, dev]", "stakeholder: [ops, dev]", "unknown key 'stakeholder' in incidents — did you mean 'stakeholders'?")]
    [InlineData("{ after: 20m, notify: [team] }", "{ after: 5m, notify: [team] }", "must come later and later")]
    [InlineData("severities: { critical: sev1", "severities: { critical: sev0", "unknown severity 'sev0'")]
    [InlineData("token: \"alert-token-0123456789abcdef\"", "token: short", "must be at least 16 characters")]
    [InlineData("routes: []", "routes: [{ on: [deploy.exploded], to: [ops] }]", "unknown event 'deploy.exploded'")]
    [InlineData("webhooks: {}", "webhooks: { pager: { url: \"ftp://x\" } }", "webhook pager needs url")]
    [InlineData("people: {}", "people: { carol: { quiet: \"late\" } }", "quiet 'late' must be a window like 22:00-07:00")]
    public async Task Mistakes_are_refused_with_file_line_and_the_last_good_configuration_stays(string good, string bad, string message)
    {
        await using var t = await IncidentNode.StartAsync(TestConfig.Yaml());
        var yaml = TestConfig.Yaml().Replace(good.Replace("\\\"", "\""), bad.Replace("\\\"", "\""));
        Assert.NotEqual(TestConfig.Yaml(), yaml);
        var rejected = await t.ConfigureAsync(yaml);
        Assert.NotNull(rejected);
        var error = Assert.Single(rejected!.Errors, e => e.Message.Contains(message));
        Assert.Equal("capstan.yaml", error.File);
        var text = t.Node.ConfigRepo.ReadFiles(t.Node.ConfigRepo.HeadSha()!)["capstan.yaml"];
        var line = text.Split('\n')[error.Line - 1];
        Assert.Contains(bad.Replace("\\\"", "\"").Split(':')[0].Trim('{', ' '), line);
        Assert.Equal(["sev1", "sev2", "sev3"], t.Node.Config.Current.Get<IncidentsConfig>().SeverityNames);
        Assert.Equal("sev1", t.Node.Config.Current.Get<IncidentsConfig>().Alerts.Severities["critical"]);
    }
}
