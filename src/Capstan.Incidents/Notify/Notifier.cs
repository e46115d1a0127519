using System.Text.Json;
using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Conversation;
using Capstan.Incidents.Config;
using Capstan.Incidents.OnCall;
using Capstan.Incidents.Store;

namespace Capstan.Incidents.Notify;

/// <summary>Something worth telling people about: an incident change, a failed deploy, a request for approval …</summary>
public sealed record Notice(string Event, string Text, string? Severity, IReadOnlyList<string> Apps, object Payload, long? Incident = null);

/// <summary>A concrete recipient: a room, a person (their direct-message room) or a webhook.</summary>
public sealed record Recipient(TargetKind Kind, string Name, string? Because = null)
{
    /// <summary>How the recipient is recorded (room:ops, person:bob, webhook:pager), so nobody is notified twice.</summary>
    public string Key => $"{Kind.ToString().ToLowerInvariant()}:{Name}";
}

/// <summary>What happened to one recipient of a notice.</summary>
public sealed record NoticeOutcome(Recipient Recipient, string Result);

/// <summary>
/// Sends notices: to rooms, as direct messages (each person has a room of their own, <c>dm-PERSON</c>, in
/// Capstan's chat), and to outgoing webhooks through the durable queue. People's quiet hours and muted events are
/// respected except at the highest severity; a quiet-hours message waits in the queue until the hours end.
/// </summary>
public sealed class Notifier(ConfigState config, Outbox outbox, RoomDirectory rooms, OnCallRoster roster, DeliveryQueue queue, TimeProvider clock)
{
    /// <summary>The direct-message room of a person.</summary>
    public static string DirectRoom(string person) => RoomDirectory.DirectRoom(person);

    private IncidentsConfig Settings => config.Current.Find<IncidentsConfig>() ?? IncidentsSection.Default;

    /// <summary>Turns targets (rooms, people, teams, on-call, webhooks) into recipients at this instant.</summary>
    public async Task<IReadOnlyList<Recipient>> ExpandAsync(IEnumerable<Target> targets, string? team, CancellationToken ct)
    {
        var settings = Settings;
        var list = new List<Recipient>();
        foreach (var t in targets)
        {
            switch (t.Kind)
            {
                case TargetKind.Room: list.Add(new(TargetKind.Room, t.Name)); break;
                case TargetKind.Person: list.Add(new(TargetKind.Person, t.Name)); break;
                case TargetKind.Webhook: list.Add(new(TargetKind.Webhook, t.Name)); break;
                case TargetKind.Team:
                    if (settings.Schedules.GetValueOrDefault(t.Name.Length > 0 ? t.Name : team ?? "") is { } s)
                        list.AddRange(s.Everyone.Select(p => new Recipient(TargetKind.Person, p, $"team {s.Team}")));
                    break;
                case TargetKind.OnCall:
                    if (settings.Schedules.GetValueOrDefault(t.Name.Length > 0 ? t.Name : team ?? "") is { } sc)
                    {
                        var who = await roster.WhoAsync(sc, clock.GetUtcNow(), ct);
                        if (who.Person is { } p) list.Add(new(TargetKind.Person, p, who.Gap ? $"fallback for {sc.Team}: {who.Why}" : $"on call for {sc.Team}"));
                    }
                    break;
            }
        }
        return list.GroupBy(r => r.Key, StringComparer.OrdinalIgnoreCase).Select(g => g.First()).ToList();
    }

    /// <summary>The targets the notification routes name for an event.</summary>
    public IReadOnlyList<Target> Routed(string evt, string? severity, IReadOnlyList<string> apps) =>
        Settings.Routes.Where(r => r.Events.Contains(evt, StringComparer.OrdinalIgnoreCase)
                && (r.Severities.Count == 0 || (severity is not null && r.Severities.Contains(severity, StringComparer.OrdinalIgnoreCase)))
                && (r.Apps.Count == 0 || apps.Any(a => r.Apps.Contains(a, StringComparer.OrdinalIgnoreCase))))
            .SelectMany(r => r.To).ToList();

    /// <summary>Delivers a notice to each recipient; webhooks are queued and never wait for the receiver.</summary>
    public async Task<IReadOnlyList<NoticeOutcome>> SendAsync(Notice notice, IEnumerable<Recipient> recipients, CancellationToken ct)
    {
        var settings = Settings;
        var urgent = notice.Severity is not null && string.Equals(notice.Severity, settings.Highest.Name, StringComparison.OrdinalIgnoreCase);
        var now = clock.GetUtcNow();
        var outcomes = new List<NoticeOutcome>();
        foreach (var r in recipients)
        {
            switch (r.Kind)
            {
                case TargetKind.Room:
                    if (!rooms.Exists(r.Name)) { outcomes.Add(new(r, "skipped: the room no longer exists")); break; }
                    await outbox.PostAsync(r.Name, null, new Reply(notice.Text, Tone(notice)));
                    outcomes.Add(new(r, "posted"));
                    break;
                case TargetKind.Person:
                    var prefs = settings.People.GetValueOrDefault(r.Name);
                    if (!urgent && prefs is not null && prefs.Mute.Contains(notice.Event)) { outcomes.Add(new(r, $"not sent: {r.Name} muted {notice.Event}")); break; }
                    if (!urgent && prefs is not null && prefs.IsQuiet(now))
                    {
                        var ends = prefs.QuietEnds(now);
                        await queue.EnqueueAsync(QueuedNotification.Direct, r.Name, notice.Event, notice.Text, ends, ct);
                        outcomes.Add(new(r, $"held for {r.Name}'s quiet hours until {ends:HH:mm} UTC"));
                        break;
                    }
                    await DirectAsync(r.Name, notice.Text, Tone(notice));
                    outcomes.Add(new(r, "direct message"));
                    break;
                case TargetKind.Webhook:
                    var body = JsonSerializer.Serialize(new { @event = notice.Event, at = now, data = notice.Payload }, Core.Ledger.Ledger.Json);
                    var id = await queue.EnqueueAsync(QueuedNotification.Webhook, r.Name, notice.Event, body, now, ct);
                    outcomes.Add(new(r, $"queued as delivery {id}"));
                    break;
            }
        }
        return outcomes;
    }

    /// <summary>Posts in a person's direct-message room, opening it if needed.</summary>
    public async Task DirectAsync(string person, string text, ReplyTone tone = ReplyTone.Info)
    {
        var room = DirectRoom(person);
        if (!rooms.Exists(room)) rooms.Open(room, $"Direct messages from Capstan to {person}");
        await outbox.PostAsync(room, null, new Reply(text, tone));
    }

    private static ReplyTone Tone(Notice n) => n.Event switch
    {
        "incident.resolved" => ReplyTone.Success,
        "deploy.failed" or "job.failed" or "incident.opened" => ReplyTone.Error,
        _ => ReplyTone.Warning,
    };
}
