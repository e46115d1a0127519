namespace Capstan.Incidents.Tests;

/// <summary>The incidents configuration most tests run with.</summary>
public static class TestConfig
{
    public const string AlertToken = "alert-token-0123456789abcdef";
    public const string AlertHmac = "hmac-secret-0123456789abcdef";

    /// <summary>
    /// sev1 pages ops, whoever is on call for platform and alice; sev2 ops and on call; sev3 only ops. The platform
    /// rotation hands over daily at 09:00 UTC between bob (from Tue 1 Dec 09:00) and carol; alice is the fallback.
    /// </summary>
    public static string Yaml(string routes = "[]", string webhooks = "{}", string people = "{}", string rotation = "{ people: [bob, carol], start: \"2026-12-01 09:00\", handoff: \"0 9 * * *\" }", string fallback = "alice", string extraTeams = "") => $$"""
        incidents:
          room: ops
          stakeholders: [ops, dev]
          severities:
            sev1: { meaning: "Critical: customers cannot use the product", notify: [ops, "oncall:platform", "@alice"], update: 15m }
            sev2: { meaning: "Major: a core feature is degraded", notify: [ops, "oncall:platform"], update: 30m }
            sev3: { meaning: "Minor: limited impact", notify: [ops], update: 2h }
          alerts:
            token: "{{AlertToken}}"
            hmacSecret: "{{AlertHmac}}"
            severities: { critical: sev1, warning: sev2, info: sev3 }
        oncall:
          platform:
            timezone: UTC
            rotations:
              - {{rotation}}
            fallback: {{fallback}}
            escalation:
              - { after: 0m, notify: [oncall] }
              - { after: 10m, notify: ["@alice"] }
              - { after: 20m, notify: [team] }
        {{extraTeams}}
        notifications:
          routes: {{routes}}
          webhooks: {{webhooks}}
          people: {{people}}
        """;
}
