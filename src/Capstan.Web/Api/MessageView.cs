using System.Text.Json;
using Capstan.Core.Commands;
using Capstan.Core.Conversation;
using Capstan.Core.Ledger;

namespace Capstan.Web.Api;

/// <summary>A room message as the API and the web chat show it.</summary>
public sealed record MessageView(string Id, string Room, string? ThreadId, string Author, string AuthorKind, string Text, string Tone, DateTimeOffset At, Table? Table, DateTimeOffset? EditedAt, IReadOnlyList<Attachment>? Attachments = null)
{
    public static MessageView From(RoomMessage m) =>
        new(m.Id, m.Room, m.ThreadId, m.Author, m.AuthorKind.ToString().ToLowerInvariant(), m.Text, m.Tone.ToString().ToLowerInvariant(), m.At, m.Table, m.EditedAt, m.Attachments);

    /// <summary>Rebuilds a room's recent messages from the ledger (the ledger is the message store), applying edits.</summary>
    public static async Task<IReadOnlyList<MessageView>> RecentAsync(Ledger ledger, string room, int limit, CancellationToken ct)
    {
        var entries = await ledger.QueryAsync(new LedgerQuery(Room: room, Kind: "chat.*", Limit: Math.Clamp(limit, 1, 1000) * 2, Newest: true), ct);
        var byId = new Dictionary<string, MessageView>();
        var order = new List<string>();
        foreach (var e in entries)
        {
            using var doc = JsonDocument.Parse(e.Data);
            var d = doc.RootElement;
            if (!d.TryGetProperty("id", out var idEl) || idEl.GetString() is not { } id) continue;
            var text = d.TryGetProperty("text", out var t) ? t.GetString() ?? "" : "";
            var tone = d.TryGetProperty("tone", out var tn) ? tn.GetString() ?? "info" : "info";
            Table? table = d.TryGetProperty("table", out var tb) && tb.ValueKind == JsonValueKind.Object ? tb.Deserialize<Table>(Ledger.Json) : null;
            var files = d.TryGetProperty("attachments", out var at) && at.ValueKind == JsonValueKind.Array ? at.Deserialize<List<Attachment>>(Ledger.Json) : null;
            switch (e.Kind)
            {
                case LedgerKinds.Message:
                    var author = d.TryGetProperty("author", out var a) ? a.GetString() ?? e.Actor : e.Actor;
                    byId[id] = new MessageView(id, room, e.Thread == id ? null : e.Thread, author, e.Actor.StartsWith("guest:", StringComparison.Ordinal) ? "guest" : "person", text, "info", e.At, null, null);
                    order.Add(id);
                    break;
                case LedgerKinds.Reply:
                    byId[id] = new MessageView(id, room, e.Thread == id ? null : e.Thread, Outbox.CapstanAuthor, "capstan", text, tone, e.At, table, null, files);
                    order.Add(id);
                    break;
                case LedgerKinds.Edit:
                    if (byId.TryGetValue(id, out var m)) byId[id] = m with { Text = text, Tone = tone, Table = table, EditedAt = e.At, Attachments = files };
                    break;
            }
        }
        return order.Select(id => byId[id]).OrderBy(m => m.At).TakeLast(limit).ToList();
    }
}
