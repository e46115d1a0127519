namespace Capstan.Indicators.Tests;

/// <summary>
/// A month of api in prod with known timestamps, and the exact figures it must give. Shared by the module tests
/// and the web tests (which write the same entries into a running server), so chat, API and page are checked
/// against one set of numbers.
/// </summary>
public static class KnownHistory
{
    /// <summary>"Now" for the history: the last 30 days run from 2026-10-31 12:00 to 2026-11-30 12:00 UTC.</summary>
    public static readonly DateTimeOffset Now = At("2026-11-30 12:00");

    public const string Frequency = "8 deploys in 30 days (1.87 per week)";
    public const string LeadTime = "median 1d";
    public const string LeadSample = "5 deploys with 8 new commits";
    public const string FailRate = "50% (4 of 8 deploys failed)";
    public const string Recovery = "median 2h 31m";
    public const string RecoverySample = "4 recoveries";
    public const string Rework = "37.5% (3 of 8 deploys unplanned)";

    public static DateTimeOffset At(string text) => DateTimeOffset.Parse(text + "Z", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The source repo of api: tags v1.0.0 … v1.4.0 over commits c1 … c9.</summary>
    public static async Task<SourceRepo> RepoAsync()
    {
        var r = await SourceRepo.CreateAsync();
        await r.CommitAsync("c1", At("2026-10-01 10:00")); await r.TagAsync("v1.0.0");
        await r.CommitAsync("c2", At("2026-11-02 09:00"));
        await r.CommitAsync("c3", At("2026-11-03 09:00")); await r.TagAsync("v1.1.0");
        await r.CommitAsync("c4", At("2026-11-10 08:00")); await r.TagAsync("v1.2.0");
        await r.CommitAsync("c5", At("2026-11-19 10:00"));
        await r.CommitAsync("c6", At("2026-11-20 10:00")); await r.TagAsync("v1.3.0");
        await r.CommitAsync("c7", At("2026-11-25 12:00")); await r.TagAsync("v1.3.1");
        await r.CommitAsync("c8", At("2026-11-26 13:00")); await r.TagAsync("v1.3.2");
        await r.CommitAsync("c9", At("2026-11-27 10:00")); await r.TagAsync("v1.4.0");
        return r;
    }

    private static object Deploy(string app, string version, string commit, string reason = "change") =>
        new { app, environment = "prod", version, commit, reason, url = "http://127.0.0.1:1/", took = 1.0 };

    /// <summary>
    /// Eight deploys in the period: D1 1.1.0 (lead 48h), D2 1.2.0 (lead 24h, Degraded 2h later, Healthy again 4h after
    /// the deploy), D3 1.3.0 failed and rolled back automatically (D4 1.2.0, 5 minutes after), D5 1.3.1 (lead 190h;
    /// INC-1 opened an hour later, resolved 7h after the deploy), D6 1.3.2 while INC-1 was open (lead 1h), D7 1.4.0
    /// (lead 24h) rolled back from chat to 1.3.2 (D8) 62 minutes later. A self-heal restart and a staging deploy do not count.
    /// </summary>
    public static (DateTimeOffset At, string Kind, object Data)[] Entries() =>
    [
        (At("2026-10-02 10:00"), "delivery.healthy", Deploy("api", "1.0.0", "k0")),
        (At("2026-11-04 09:00"), "delivery.healthy", Deploy("api", "1.1.0", "k1")),
        (At("2026-11-11 08:00"), "delivery.healthy", Deploy("api", "1.2.0", "k2")),
        (At("2026-11-11 10:00"), "delivery.health", new { app = "api", environment = "prod", health = "Degraded", was = "Healthy", detail = "GET /healthz answered 500" }),
        (At("2026-11-11 12:00"), "delivery.health", new { app = "api", environment = "prod", health = "Healthy", was = "Degraded", detail = "GET /healthz answered 200" }),
        (At("2026-11-21 10:00"), "delivery.failed", new { app = "api", environment = "prod", version = "1.3.0", commit = "k3", reason = "change", detail = "health check failed" }),
        (At("2026-11-21 10:01"), "delivery.rollback", new { app = "api", environment = "prod", version = "1.3.0", reverted = "k3", revert = "r3", automatic = true }),
        (At("2026-11-21 10:05"), "delivery.healthy", Deploy("api", "1.2.0", "r3")),
        (At("2026-11-26 08:00"), "delivery.healthy", Deploy("api", "1.3.1", "k5")),
        (At("2026-11-26 09:00"), "incident.opened", new { incident = "INC-1", title = "Checkout errors", severity = "sev2", apps = new[] { "api" }, environment = "prod", commander = "alice" }),
        (At("2026-11-26 09:10"), "incident.acknowledged", new { incident = "INC-1" }),
        (At("2026-11-26 14:00"), "delivery.healthy", Deploy("api", "1.3.2", "k6")),
        (At("2026-11-26 15:00"), "incident.resolved", new { incident = "INC-1", summary = "fixed forward in 1.3.2" }),
        (At("2026-11-28 10:00"), "delivery.healthy", Deploy("api", "1.4.0", "k7")),
        (At("2026-11-28 11:00"), "delivery.commit", new { request = "r1", action = "rollback", app = "api", environment = "prod", version = "1.3.2", commit = "k8" }),
        (At("2026-11-28 11:02"), "delivery.healthy", Deploy("api", "1.3.2", "k8")),
        (At("2026-11-29 03:00"), "delivery.healthy", Deploy("api", "1.3.2", "k8", "self-heal")),
        (At("2026-11-29 04:00"), "delivery.healthy", new { app = "api", environment = "staging", version = "1.5.0", commit = "k9", reason = "change" }),
    ];
}
