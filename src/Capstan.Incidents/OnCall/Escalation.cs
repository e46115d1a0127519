using Capstan.Core.Commands;
using Capstan.Core.Conversation;
using Capstan.Incidents.Config;
using Capstan.Incidents.Desk;
using Capstan.Incidents.Notify;
using Capstan.Incidents.Store;

namespace Capstan.Incidents.OnCall;

/// <summary>
/// The time-driven part of incidents: while nobody acknowledges, each escalation level of the paged teams is
/// notified when its time comes (a gap in a schedule pages the team's fallback and says so); and the commander
/// is reminded when an update is due. Runs on the injected clock, so tests move time by hand.
/// </summary>
public sealed class Escalation(IncidentDesk desk, IIncidentStore store, Notifier notifier, OnCallRoster roster, Outbox outbox, TimeProvider clock)
{
    public async Task TickAsync(CancellationToken ct)
    {
        var settings = desk.Settings;
        foreach (var i in await store.ListAsync(true, 1000, ct))
        {
            if (settings.Severity(i.Severity) is not { } level) continue;
            await RemindAsync(i, level, ct);
            if (i.Status == IncidentStatus.Open) await EscalateAsync(i, level, settings, ct);
        }
    }

    private async Task RemindAsync(Incident i, SeverityLevel level, CancellationToken ct)
    {
        if (level.UpdateEvery is not { } every) return;
        var now = clock.GetUtcNow();
        var last = i.RemindedAt is { } r && r > i.LastUpdateAt ? r : i.LastUpdateAt;
        if (now - last < every) return;
        await store.RemindedAsync(i.Number, now, ct);
        var since = DurationText.Format(now - i.LastUpdateAt);
        var text = $"⏰ {i.Id} [{i.Severity}] {i.Title}: an update is due (the last was {since} ago; {i.Severity} wants one every {DurationText.Format(every)}). Post it with `incident update {i.Id} TEXT`.";
        await notifier.DirectAsync(i.Commander, text, ReplyTone.Warning);
        await outbox.PostAsync(i.Room, null, new Reply($"⏰ {i.Commander}: an update is due (last one {since} ago).", ReplyTone.Warning));
        await desk.RecordForAsync("incident.reminder", "capstan", i, new { incident = i.Id, commander = i.Commander, since = (int)(now - i.LastUpdateAt).TotalSeconds });
    }

    private async Task EscalateAsync(Incident i, SeverityLevel level, IncidentsConfig settings, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var teams = level.Notify.Where(t => t.Kind == TargetKind.OnCall).Select(t => t.Name).Distinct(StringComparer.OrdinalIgnoreCase);
        foreach (var team in teams)
        {
            if (!settings.Schedules.TryGetValue(team, out var schedule)) continue;
            for (var n = 0; n < schedule.Escalation.Count; n++)
            {
                var step = schedule.Escalation[n];
                // A level at 0m is the page sent when the incident opened (the severity's oncall: routing).
                if (step.After <= TimeSpan.Zero || now - i.OpenedAt < step.After) continue;
                var claimed = await store.ClaimNotifiedAsync(i.Number, [$"escalation:{team}:{n + 1}"], i.Severity, now, ct);
                if (claimed.Count == 0) continue;
                var recipients = await notifier.ExpandAsync(step.Notify, team, ct);
                var text = $"🔺 {i.Id} [{i.Severity}] {i.Title} has not been acknowledged for {DurationText.Format(now - i.OpenedAt)}: escalation level {n + 1} of {team}. `incident ack {i.Id}` in #{i.Room} stops it.";
                await GapAsync(i, schedule, step, ct);
                var outcomes = await notifier.SendAsync(new Notice("incident.escalated", text, i.Severity, i.Apps, new { incident = i.Id, team, level = n + 1, severity = i.Severity, title = i.Title }, i.Number), recipients, ct);
                await desk.RecordForAsync("incident.escalated", "capstan", i, new
                {
                    incident = i.Id,
                    team,
                    level = n + 1,
                    after = (int)step.After.TotalSeconds,
                    recipients = outcomes.Select(o => new { target = o.Recipient.Key, because = o.Recipient.Because, result = o.Result }),
                });
                await outbox.PostAsync(i.Room, null, new Reply($"🔺 Not acknowledged after {DurationText.Format(now - i.OpenedAt)}: escalated to level {n + 1} of {team} (" +
                    (outcomes.Count == 0 ? "nobody could be reached" : string.Join(", ", outcomes.Select(o => o.Recipient.Name))) + ").", ReplyTone.Warning));
                desk.Touch(i.Number);
            }
        }
    }

    /// <summary>When a level pages whoever is on call and the schedule has a gap, the timeline and room say so.</summary>
    private async Task GapAsync(Incident i, Schedule schedule, EscalationLevel step, CancellationToken ct)
    {
        if (!step.Notify.Any(t => t.Kind == TargetKind.OnCall)) return;
        var who = await roster.WhoAsync(schedule, clock.GetUtcNow(), ct);
        if (!who.Gap) return;
        var text = who.Nobody
            ? $"Nobody is on call for {schedule.Team}: {who.Why}. Set `fallback:` under oncall.{schedule.Team}, or `oncall override {schedule.Team} @person until …`."
            : $"{schedule.Team} has {who.Why}.";
        await desk.RecordForAsync("incident.schedule.gap", "capstan", i, new { incident = i.Id, team = schedule.Team, fallback = who.Person, text });
        await outbox.PostAsync(i.Room, null, new Reply("⚠️ " + text, ReplyTone.Warning));
    }
}
