namespace Capstan.Incidents.Store;

/// <summary>
/// What the incidents module keeps: incidents, who was notified of each, tasks, alert groups and alerts, on-call
/// overrides and the durable notification queue.
/// </summary>
public interface IIncidentStore
{
    // ---- incidents
    /// <summary>Creates an incident with the next number (numbers are never reused).</summary>
    Task<Incident> CreateAsync(string title, string severity, string commander, IReadOnlyList<string> apps, string environment, DateTimeOffset at, string openedBy, CancellationToken ct);
    Task<Incident?> GetAsync(long number, CancellationToken ct);
    /// <summary>Newest first; only unresolved ones when <paramref name="openOnly"/>.</summary>
    Task<IReadOnlyList<Incident>> ListAsync(bool openOnly, int limit, CancellationToken ct);
    /// <summary>Changes the severity only if it is still <paramref name="from"/>; false when someone changed it first.</summary>
    Task<bool> SetSeverityAsync(long number, string from, string to, CancellationToken ct);
    Task SetRoleAsync(long number, string role, string person, CancellationToken ct);
    /// <summary>Marks the incident acknowledged if it is open and not yet acknowledged; false otherwise.</summary>
    Task<bool> AcknowledgeAsync(long number, DateTimeOffset at, CancellationToken ct);
    /// <summary>Resolves the incident (acknowledging it too if nobody had); false when it already was resolved.</summary>
    Task<bool> ResolveAsync(long number, string? summary, DateTimeOffset at, CancellationToken ct);
    Task<bool> ReopenAsync(long number, DateTimeOffset at, CancellationToken ct);
    Task UpdatedAsync(long number, DateTimeOffset at, CancellationToken ct);
    Task RemindedAsync(long number, DateTimeOffset at, CancellationToken ct);
    /// <summary>Moves the escalation to a level only forwards; false when another pass got there first.</summary>
    Task<bool> EscalateAsync(long number, int from, int to, CancellationToken ct);
    Task SetPostmortemAsync(long number, string commit, CancellationToken ct);
    Task SetAppsAsync(long number, IReadOnlyList<string> apps, CancellationToken ct);

    // ---- who was notified
    /// <summary>Records that targets were notified; returns only those not notified before (so nobody hears twice).</summary>
    Task<IReadOnlyList<string>> ClaimNotifiedAsync(long number, IEnumerable<string> targets, string severity, DateTimeOffset at, CancellationToken ct);
    Task<IReadOnlyList<string>> NotifiedAsync(long number, CancellationToken ct);

    // ---- tasks
    Task<IncidentTask> AddTaskAsync(long number, string text, string? owner, string by, DateTimeOffset at, CancellationToken ct);
    Task<bool> CompleteTaskAsync(long number, long id, CancellationToken ct);
    Task<IReadOnlyList<IncidentTask>> TasksAsync(long number, CancellationToken ct);

    // ---- alert groups
    /// <summary>The incident an alert group is attached to, if any.</summary>
    Task<(long? Incident, string? Status)> AlertGroupAsync(string groupKey, CancellationToken ct);
    Task SetAlertGroupAsync(string groupKey, long? incident, string status, DateTimeOffset at, CancellationToken ct);
    /// <summary>
    /// Upserts one alert; returns whether it changed. An older notification (by startsAt/endsAt) never overwrites a newer
    /// one, so deliveries that arrive out of order leave the newest state.
    /// </summary>
    Task<bool> UpsertAlertAsync(string groupKey, string fingerprint, string status, DateTimeOffset startsAt, DateTimeOffset? endsAt, string summary, CancellationToken ct);
    /// <summary>How many alerts of a group are firing now.</summary>
    Task<int> FiringCountAsync(string groupKey, CancellationToken ct);

    // ---- on-call overrides
    Task<OnCallOverride> AddOverrideAsync(string team, string person, DateTimeOffset from, DateTimeOffset until, string by, CancellationToken ct);
    /// <summary>Overrides in force at an instant, newest first (the latest one wins).</summary>
    Task<IReadOnlyList<OnCallOverride>> OverridesAsync(DateTimeOffset at, CancellationToken ct);

    // ---- the notification queue
    Task<long> EnqueueAsync(string channel, string target, string evt, string body, DateTimeOffset at, DateTimeOffset due, CancellationToken ct);
    Task<IReadOnlyList<QueuedNotification>> DueAsync(DateTimeOffset now, int limit, CancellationToken ct);
    Task<IReadOnlyList<QueuedNotification>> DeliveriesAsync(int limit, CancellationToken ct);
    Task DeliveredAsync(long id, int attempts, DateTimeOffset at, CancellationToken ct);
    Task RetryLaterAsync(long id, int attempts, DateTimeOffset next, string error, CancellationToken ct);
}
