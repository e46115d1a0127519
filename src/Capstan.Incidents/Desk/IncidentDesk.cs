using System.Collections.Concurrent;
using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Conversation;
using Capstan.Core.Ledger;
using Capstan.Core.Ledger.Events;
using Capstan.Incidents.Config;
using Capstan.Incidents.Notify;
using Capstan.Incidents.Store;

namespace Capstan.Incidents.Desk;

/// <summary>The outcome of an incident operation: whether it changed anything, and the sentence to show.</summary>
public sealed record DeskResult(bool Ok, string Text, Incident? Incident = null, bool Changed = true)
{
    public static DeskResult Fail(string text) => new(false, text, null, false);
}

/// <summary>
/// Runs incidents: open, reclassify, assign roles, post updates, add tasks, acknowledge, resolve and reopen.
/// Each change is recorded in the ledger (in the incident's room, so its timeline has it), announced in the
/// room, and notified to exactly the people it concerns. Changes to one incident are serialised, and the
/// store's compare-and-set updates keep two replicas' changes consistent too.
/// </summary>
public sealed class IncidentDesk(IIncidentStore store, Ledger ledger, Outbox outbox, RoomDirectory rooms, ConfigState config, Notifier notifier, OnCall.OnCallRoster roster, TimeProvider clock)
{
    private readonly ConcurrentDictionary<long, SemaphoreSlim> _locks = new();
    private volatile bool _roomsOpened;

    /// <summary>Raised after an incident changed (for the web UI).</summary>
    public event Action<long>? Changed;

    public IncidentsConfig Settings => config.Current.Find<IncidentsConfig>() ?? IncidentsSection.Default;

    public IIncidentStore Store => store;

    /// <summary>Opens the rooms of every incident (after a restart the room directory starts empty).</summary>
    public async Task OpenRoomsAsync(CancellationToken ct)
    {
        if (_roomsOpened) return;
        foreach (var i in await store.ListAsync(false, 100_000, ct))
            if (!rooms.Exists(i.Room)) rooms.Open(i.Room, Topic(i), Settings.Room);
        _roomsOpened = true;
    }

    public static string Topic(Incident i) =>
        $"{i.Id} [{i.Severity}] {i.Title} — {i.Status}, commander {i.Commander}" + (i.Apps.Count > 0 ? $", {string.Join(", ", i.Apps)} in {i.Environment}" : "");

    /// <summary>Finds an incident or says which ones exist.</summary>
    public async Task<(Incident? Incident, string? Problem)> FindAsync(string? text, string room, CancellationToken ct)
    {
        var number = IncidentId.Parse(text) ?? (text is null ? IncidentId.FromRoom(room) : null);
        if (number is null)
            return (null, text is null
                ? "Which incident? Name it (INC-3), or run the command in the incident's own room."
                : $"'{text}' is not an incident id; incidents are named like INC-3 (`incidents` lists them).");
        var i = await store.GetAsync(number.Value, ct);
        if (i is not null) return (i, null);
        var open = await store.ListAsync(true, 10, ct);
        return (null, $"There is no incident {IncidentId.Format(number.Value)}. " + (open.Count == 0 ? "No incident is open; `incident open \"TITLE\" sev2` declares one." : $"Open incidents: {string.Join(", ", open.Select(o => o.Id))}."));
    }

    private async Task<T> WithLockAsync<T>(long number, Func<Task<T>> work)
    {
        var gate = _locks.GetOrAdd(number, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync();
        try { return await work(); }
        finally { gate.Release(); }
    }

    private Task<LedgerEntry> RecordAsync(string kind, string actor, Incident i, object data) => ledger.AppendAsync(kind, actor, i.Room, null, data);

    private Task<LedgerEntry> RecordAsync<T>(T e, string actor, Incident i) where T : ILedgerEvent => ledger.AppendAsync(e, actor, i.Room);

    /// <summary>Declares an incident: its room, the declarer (or the named person) as commander, the severity's routing notified.</summary>
    public async Task<DeskResult> OpenAsync(string title, string severity, string by, string? commander, IReadOnlyList<string> apps, string? environment, string source, CancellationToken ct)
    {
        var settings = Settings;
        if (settings.Severity(severity) is not { } level)
            return DeskResult.Fail(ArgumentKind.Unknown("severity", severity, settings.SeverityNames) + ". The levels are set under incidents.severities in capstan.yaml.");
        if (string.IsNullOrWhiteSpace(title)) return DeskResult.Fail("An incident needs a title that says what is wrong, e.g. `incident open \"checkout latency\" sev2`.");
        var env = environment ?? settings.Environment;
        var now = clock.GetUtcNow();
        var incident = await store.CreateAsync(title.Trim(), level.Name, commander ?? by, apps, env, now, by, ct);
        rooms.Open(incident.Room, Topic(incident), Settings.Room);
        await RecordAsync(new IncidentOpened(incident.Id, incident.Title, level.Name, apps, env, incident.Commander, incident.Room, source, level.Meaning), by, incident);
        var text = $"🚨 {incident.Id} [{level.Name}] {incident.Title} — declared by {by}; commander {incident.Commander}. " +
            $"{level.Meaning}. Join #{incident.Room}" + (apps.Count > 0 ? $"; affects {string.Join(", ", apps)} in {env}." : ".");
        await outbox.PostAsync(incident.Room, null, new Reply(text + (level.UpdateEvery is { } u ? $" Updates are due every {DurationText.Format(u)} (`incident update TEXT`)." : ""), ReplyTone.Warning));
        var notified = await NotifyAsync(incident, "incident.opened", text, level, by, ct);
        // The commander hears of it once: from the routing if it pages them, otherwise directly.
        var paged = await store.NotifiedAsync(incident.Number, ct);
        if (!string.Equals(incident.Commander, by, StringComparison.OrdinalIgnoreCase) && !paged.Contains($"person:{incident.Commander}", StringComparer.OrdinalIgnoreCase))
            await notifier.DirectAsync(incident.Commander, $"{by} declared {incident.Id} [{level.Name}] {incident.Title} and made you commander: join #{incident.Room}.", ReplyTone.Warning);
        Changed?.Invoke(incident.Number);
        return new(true, $"Opened {incident.Id} [{level.Name}] in #{incident.Room}, commander {incident.Commander}. {notified}", incident);
    }

    /// <summary>
    /// Notifies the routing of a severity, skipping anyone already notified of this incident (so a reclassification
    /// reaches only whom the new level adds), then the notification routes for the event; records who was told.
    /// </summary>
    private async Task<string> NotifyAsync(Incident i, string evt, string text, SeverityLevel level, string by, CancellationToken ct)
    {
        var recipients = (await notifier.ExpandAsync(level.Notify, null, ct)).Where(r => !(r.Kind == TargetKind.Person && r.Name == by) && !(r.Kind == TargetKind.Room && r.Name == i.Room)).ToList();
        await NobodyOnCallAsync(i, level, ct);
        var fresh = (await store.ClaimNotifiedAsync(i.Number, recipients.Select(r => r.Key), level.Name, clock.GetUtcNow(), ct)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var send = recipients.Where(r => fresh.Contains(r.Key)).ToList();
        var outcomes = new List<NoticeOutcome>();
        if (send.Count > 0)
        {
            outcomes.AddRange(await notifier.SendAsync(new Notice(evt, text, level.Name, i.Apps, Payload(i, level.Name), i.Number), send, ct));
            await RecordAsync("incident.notified", "capstan", i, new
            {
                incident = i.Id,
                @event = evt,
                severity = level.Name,
                recipients = outcomes.Select(o => new { target = o.Recipient.Key, because = o.Recipient.Because, result = o.Result }),
            });
        }
        // Everyone the severity routes to has heard of this change now, whether just or earlier.
        outcomes.AddRange(await RouteEventAsync(i, evt, text, ct, recipients.Select(r => r.Key).ToHashSet(StringComparer.OrdinalIgnoreCase)));
        if (outcomes.Count == 0) return "Nobody new to notify.";
        return "Notified " + string.Join(", ", outcomes.Select(o => Describe(o.Recipient) + (o.Result is "posted" or "direct message" ? "" : $" ({o.Result})"))) + ".";
    }

    /// <summary>When the severity pages a team's on-call and nobody is (a gap and no fallback), the room and timeline say so.</summary>
    private async Task NobodyOnCallAsync(Incident i, SeverityLevel level, CancellationToken ct)
    {
        foreach (var t in level.Notify.Where(t => t.Kind == TargetKind.OnCall))
        {
            if (!Settings.Schedules.TryGetValue(t.Name, out var schedule)) continue;
            var who = await roster.WhoAsync(schedule, clock.GetUtcNow(), ct);
            if (!who.Nobody) continue;
            var text = $"Nobody is on call for {schedule.Team}: {who.Why}. Set `fallback:` under oncall.{schedule.Team}, or `oncall override {schedule.Team} @person until …`.";
            await RecordAsync("incident.schedule.gap", "capstan", i, new { incident = i.Id, team = schedule.Team, fallback = (string?)null, text });
            await outbox.PostAsync(i.Room, null, new Reply("⚠️ " + text, ReplyTone.Warning));
        }
    }

    private static string Describe(Recipient r) => r.Kind switch
    {
        TargetKind.Room => "#" + r.Name,
        TargetKind.Person => r.Name,
        _ => "webhook " + r.Name,
    };

    private static object Payload(Incident i, string severity, string? previous = null) => new
    {
        incident = i.Id,
        title = i.Title,
        severity,
        previous,
        status = i.Status,
        commander = i.Commander,
        apps = i.Apps,
        environment = i.Environment,
        room = i.Room,
        openedAt = i.OpenedAt,
    };

    /// <summary>
    /// Reclassifies: records old→new, updates the topic, announces it, and notifies only whom the new severity adds.
    /// Two people reclassifying at once are serialised; the second sees the first's result.
    /// </summary>
    public Task<DeskResult> ReclassifyAsync(long number, string severity, string? reason, string by, CancellationToken ct) => WithLockAsync(number, async () =>
    {
        var settings = Settings;
        var i = await store.GetAsync(number, ct);
        if (i is null) return DeskResult.Fail($"There is no incident {IncidentId.Format(number)}.");
        if (settings.Severity(severity) is not { } level)
            return DeskResult.Fail(ArgumentKind.Unknown("severity", severity, settings.SeverityNames) + ".");
        if (string.Equals(i.Severity, level.Name, StringComparison.OrdinalIgnoreCase))
            return new(true, $"{i.Id} is already {level.Name}; nothing changed and nobody was notified again.", i, false);
        if (i.IsResolved) return DeskResult.Fail($"{i.Id} is resolved; `incident reopen {i.Id}` first if it is happening again.");
        if (!await store.SetSeverityAsync(number, i.Severity, level.Name, ct))
        {
            var now = await store.GetAsync(number, ct);
            return DeskResult.Fail($"{i.Id} was just reclassified to {now?.Severity} by someone else; check `incident timeline {i.Id}` and try again if it still needs changing.");
        }
        var from = settings.Severity(i.Severity);
        var up = from is null || level.Rank < from.Rank;
        var updated = (await store.GetAsync(number, ct))!;
        rooms.Open(updated.Room, Topic(updated), Settings.Room);
        await RecordAsync(new IncidentSeverityChanged(i.Id, i.Severity, level.Name, reason, up ? "up" : "down"), by, updated);
        var text = $"{(up ? "⬆️" : "⬇️")} {i.Id} {i.Title}: {i.Severity} → {level.Name} ({(up ? "upgraded" : "downgraded")} by {by}" + (reason is null ? ")" : $": {reason})") + $". {level.Meaning}.";
        await outbox.PostAsync(updated.Room, null, new Reply(text, up ? ReplyTone.Warning : ReplyTone.Info));
        var notified = await NotifyAsync(updated, "incident.reclassified", text, level, by, ct);
        Changed?.Invoke(number);
        return new(true, $"{i.Id} is now {level.Name} (was {i.Severity}). {notified}", updated);
    });

    public static readonly string[] Roles = ["commander", "comms", "scribe"];

    /// <summary>Hands a role to a person; the handoff (from whom, to whom) is recorded.</summary>
    public Task<DeskResult> AssignAsync(long number, string role, string person, string by, CancellationToken ct) => WithLockAsync(number, async () =>
    {
        var i = await store.GetAsync(number, ct);
        if (i is null) return DeskResult.Fail($"There is no incident {IncidentId.Format(number)}.");
        var current = role switch { "commander" => i.Commander, "comms" => i.Comms, _ => i.Scribe };
        if (string.Equals(current, person, StringComparison.OrdinalIgnoreCase)) return new(true, $"{person} already is {role} of {i.Id}.", i, false);
        await store.SetRoleAsync(number, role, person, ct);
        var updated = (await store.GetAsync(number, ct))!;
        rooms.Open(updated.Room, Topic(updated), Settings.Room);
        await RecordAsync("incident.role", by, updated, new { incident = i.Id, role, from = current, to = person });
        var text = current is null ? $"{person} is now {role} of {i.Id} (assigned by {by})." : $"{role} of {i.Id} handed from {current} to {person} (by {by}).";
        await outbox.PostAsync(updated.Room, null, new Reply(text));
        if (!string.Equals(person, by, StringComparison.OrdinalIgnoreCase))
            await notifier.DirectAsync(person, $"You are now {role} of {i.Id} [{i.Severity}] {i.Title}: join #{i.Room}.", ReplyTone.Warning);
        Changed?.Invoke(number);
        return new(true, text, updated);
    });

    /// <summary>Posts a status update to the incident room and the stakeholders' rooms; resets the update reminder.</summary>
    public async Task<DeskResult> UpdateAsync(long number, string text, string by, CancellationToken ct)
    {
        var i = await store.GetAsync(number, ct);
        if (i is null) return DeskResult.Fail($"There is no incident {IncidentId.Format(number)}.");
        if (string.IsNullOrWhiteSpace(text)) return DeskResult.Fail("Say what the update is: `incident update Rolled back to 1.4.1; error rate falling`.");
        await store.UpdatedAsync(number, clock.GetUtcNow(), ct);
        await RecordAsync("incident.update", by, i, new { incident = i.Id, text, severity = i.Severity, status = i.Status });
        var line = $"📣 {i.Id} [{i.Severity}] {i.Title} — update from {by}: {text}";
        await outbox.PostAsync(i.Room, null, new Reply(line));
        var stakeholders = Settings.Stakeholders.Where(r => r != i.Room && rooms.Exists(r)).ToList();
        foreach (var r in stakeholders) await outbox.PostAsync(r, null, new Reply(line));
        var next = Settings.Severity(i.Severity)?.UpdateEvery;
        Changed?.Invoke(number);
        return new(true, $"Update posted to #{i.Room}" + (stakeholders.Count > 0 ? $" and {string.Join(", ", stakeholders.Select(s => "#" + s))}" : "") +
            (next is { } n ? $"; the next is due in {DurationText.Format(n)}." : "."), i);
    }

    public async Task<DeskResult> AddTaskAsync(long number, string text, string? owner, string by, CancellationToken ct)
    {
        var i = await store.GetAsync(number, ct);
        if (i is null) return DeskResult.Fail($"There is no incident {IncidentId.Format(number)}.");
        if (string.IsNullOrWhiteSpace(text)) return DeskResult.Fail("Say what needs doing: `incident task Add an alert on queue depth @bob`.");
        var task = await store.AddTaskAsync(number, text.Trim(), owner, by, clock.GetUtcNow(), ct);
        await RecordAsync("incident.task", by, i, new { incident = i.Id, task = task.Id, text = task.Text, owner });
        if (owner is not null && !string.Equals(owner, by, StringComparison.OrdinalIgnoreCase))
            await notifier.DirectAsync(owner, $"{by} gave you a follow-up of {i.Id}: {task.Text}");
        Changed?.Invoke(number);
        return new(true, $"Task {task.Id} added to {i.Id}" + (owner is null ? "" : $" for {owner}") + $": {task.Text}", i);
    }

    public async Task<DeskResult> CompleteTaskAsync(long number, long task, string by, CancellationToken ct)
    {
        var i = await store.GetAsync(number, ct);
        if (i is null) return DeskResult.Fail($"There is no incident {IncidentId.Format(number)}.");
        if (!await store.CompleteTaskAsync(number, task, ct))
            return DeskResult.Fail($"{i.Id} has no task {task}; `incident tasks {i.Id}` lists them.");
        await RecordAsync("incident.task.done", by, i, new { incident = i.Id, task });
        Changed?.Invoke(number);
        return new(true, $"Task {task} of {i.Id} is done.", i);
    }

    /// <summary>Acknowledges: escalation stops. Acknowledging twice is harmless.</summary>
    public Task<DeskResult> AcknowledgeAsync(long number, string by, CancellationToken ct) => WithLockAsync(number, async () =>
    {
        var i = await store.GetAsync(number, ct);
        if (i is null) return DeskResult.Fail($"There is no incident {IncidentId.Format(number)}.");
        if (i.IsResolved) return new(true, $"{i.Id} is already resolved.", i, false);
        var now = clock.GetUtcNow();
        if (!await store.AcknowledgeAsync(number, now, ct))
            return new(true, $"{i.Id} was already acknowledged at {i.AcknowledgedAt:HH:mm} UTC.", i, false);
        var updated = (await store.GetAsync(number, ct))!;
        rooms.Open(updated.Room, Topic(updated), Settings.Room);
        await RecordAsync(new IncidentAcknowledged(i.Id, i.Severity, (int)(now - i.OpenedAt).TotalSeconds), by, updated);
        var text = $"✋ {i.Id} acknowledged by {by} after {DurationText.Format(now - i.OpenedAt)}; escalation stops.";
        await outbox.PostAsync(updated.Room, null, new Reply(text));
        await RouteEventAsync(updated, "incident.acknowledged", text, ct);
        Changed?.Invoke(number);
        return new(true, text, updated);
    });

    public Task<DeskResult> ResolveAsync(long number, string? summary, string by, CancellationToken ct) => WithLockAsync(number, async () =>
    {
        var i = await store.GetAsync(number, ct);
        if (i is null) return DeskResult.Fail($"There is no incident {IncidentId.Format(number)}.");
        var now = clock.GetUtcNow();
        if (!await store.ResolveAsync(number, summary, now, ct))
            return new(true, $"{i.Id} is already resolved (at {i.ResolvedAt:yyyy-MM-dd HH:mm} UTC).", i, false);
        var updated = (await store.GetAsync(number, ct))!;
        rooms.Open(updated.Room, Topic(updated), Settings.Room);
        if (i.AcknowledgedAt is null)
            await RecordAsync(new IncidentAcknowledged(i.Id, i.Severity, (int)(now - i.OpenedAt).TotalSeconds, ByResolving: true), by, updated);
        await RecordAsync(new IncidentResolved(i.Id, summary, i.Severity, (int)(now - i.OpenedAt).TotalSeconds), by, updated);
        var text = $"✅ {i.Id} {i.Title} resolved by {by} after {DurationText.Format(now - i.OpenedAt)}" + (summary is null ? "." : $": {summary.TrimEnd('.')}.") +
            $" `incident postmortem {i.Id}` drafts the review.";
        await outbox.PostAsync(updated.Room, null, new Reply(text, ReplyTone.Success));
        await RouteEventAsync(updated, "incident.resolved", text, ct);
        Changed?.Invoke(number);
        return new(true, text, updated);
    });

    public Task<DeskResult> ReopenAsync(long number, string by, CancellationToken ct) => WithLockAsync(number, async () =>
    {
        var i = await store.GetAsync(number, ct);
        if (i is null) return DeskResult.Fail($"There is no incident {IncidentId.Format(number)}.");
        if (!await store.ReopenAsync(number, clock.GetUtcNow(), ct)) return new(true, $"{i.Id} is not resolved; nothing to reopen.", i, false);
        var updated = (await store.GetAsync(number, ct))!;
        rooms.Open(updated.Room, Topic(updated), Settings.Room);
        await RecordAsync(new IncidentReopened(i.Id, i.Severity), by, updated);
        var text = $"🔁 {i.Id} {i.Title} reopened by {by}; commander {updated.Commander}.";
        await outbox.PostAsync(updated.Room, null, new Reply(text, ReplyTone.Warning));
        await RouteEventAsync(updated, "incident.reopened", text, ct);
        Changed?.Invoke(number);
        return new(true, text, updated);
    });

    /// <summary>Sends an incident event to the notification routes that ask for it (each recipient once per event).</summary>
    private async Task<IReadOnlyList<NoticeOutcome>> RouteEventAsync(Incident i, string evt, string text, CancellationToken ct, IReadOnlySet<string>? already = null)
    {
        var targets = notifier.Routed(evt, i.Severity, i.Apps);
        if (targets.Count == 0) return [];
        var recipients = (await notifier.ExpandAsync(targets, null, ct))
            .Where(r => !(r.Kind == TargetKind.Room && r.Name == i.Room) && already?.Contains(r.Key) != true).ToList();
        var stamp = IncidentStore.Time(clock.GetUtcNow());
        var fresh = (await store.ClaimNotifiedAsync(i.Number, recipients.Select(r => $"{evt}@{stamp}|{r.Key}"), i.Severity, clock.GetUtcNow(), ct)).ToHashSet();
        var send = recipients.Where(r => fresh.Contains($"{evt}@{stamp}|{r.Key}")).ToList();
        var outcomes = await notifier.SendAsync(new Notice(evt, text, i.Severity, i.Apps, Payload(i, i.Severity), i.Number), send, ct);
        if (outcomes.Count > 0)
            await RecordAsync("incident.notified", "capstan", i, new { incident = i.Id, @event = evt, severity = i.Severity, recipients = outcomes.Select(o => new { target = o.Recipient.Key, because = o.Recipient.Because, result = o.Result }) });
        return outcomes;
    }

    /// <summary>Adds apps to an incident (alerts name them as they arrive).</summary>
    public async Task AddAppsAsync(long number, IEnumerable<string> apps, CancellationToken ct)
    {
        var i = await store.GetAsync(number, ct);
        if (i is null) return;
        var merged = i.Apps.Concat(apps).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (merged.Count != i.Apps.Count) await store.SetAppsAsync(number, merged, ct);
    }

    /// <summary>Adds a note to the timeline (from the UI or `incident note`).</summary>
    public async Task<DeskResult> NoteAsync(long number, string text, string by, CancellationToken ct)
    {
        var i = await store.GetAsync(number, ct);
        if (i is null) return DeskResult.Fail($"There is no incident {IncidentId.Format(number)}.");
        if (string.IsNullOrWhiteSpace(text)) return DeskResult.Fail("A note needs some text.");
        var e = await RecordAsync("incident.note", by, i, new { incident = i.Id, text });
        Changed?.Invoke(number);
        return new(true, $"Note added to {i.Id}'s timeline (entry {e.Seq}).", i);
    }

    /// <summary>Marks (or unmarks) a timeline entry as key: key entries lead the postmortem's timeline.</summary>
    public async Task<DeskResult> MarkAsync(long number, long seq, bool key, string by, CancellationToken ct)
    {
        var i = await store.GetAsync(number, ct);
        if (i is null) return DeskResult.Fail($"There is no incident {IncidentId.Format(number)}.");
        await RecordAsync("incident.marked", by, i, new { incident = i.Id, seq, key });
        Changed?.Invoke(number);
        return new(true, key ? $"Entry {seq} is now a key entry of {i.Id}." : $"Entry {seq} is no longer a key entry of {i.Id}.", i);
    }

    /// <summary>Records that a postmortem was committed, and links it in the room.</summary>
    public async Task PostmortemCommittedAsync(Incident i, string commit, string path, string by, CancellationToken ct)
    {
        await store.SetPostmortemAsync(i.Number, commit, ct);
        await RecordAsync("incident.postmortem", by, i, new { incident = i.Id, commit, path });
        await outbox.PostAsync(i.Room, null, new Reply($"📝 Postmortem for {i.Id} committed by {by} as {path} ({commit[..7]}); the UI shows it at /incidents/{i.Number}/postmortem.", ReplyTone.Success));
        Changed?.Invoke(i.Number);
    }

    /// <summary>Lets other parts (alerts, escalation) say the incident changed.</summary>
    internal void Touch(long number) => Changed?.Invoke(number);

    internal Task<LedgerEntry> RecordForAsync(string kind, string actor, Incident i, object data) => RecordAsync(kind, actor, i, data);
}
