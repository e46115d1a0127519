using System.Text;
using System.Text.Json;
using Capstan.Core.Access;
using Capstan.Core.Conversation;
using Capstan.Core.Ledger;

namespace Capstan.Core.Commands;

/// <summary>The commands every Capstan has: help, whoami, history, confirm, cancel, tokens.</summary>
public sealed class CoreCommands : ICommandModule
{
    public const string ReadPermission = "read";

    private static readonly Argument<string> CommandName = new("command", ArgumentKind.Text);
    internal static readonly Argument<string> What = new("what", ArgumentKind.Text);
    private static readonly Argument<int> Count = new("count", ArgumentKind.Int);
    internal static readonly Argument<string> Place = new("place", ArgumentKind.Text);
    internal static readonly Argument<string> Person = new("person", ArgumentKind.Person);
    private static readonly Argument<string> Id = new("id", ArgumentKind.Text);
    private static readonly Argument<string> Who = new("who", ArgumentKind.Text);

    public void Register(CommandRegistry registry)
    {
        registry.Add(new CommandSpec("help", "Basics", "List the commands you can run, or explain one")
            .Alias("?", "commands")
            .Rest(CommandName, false, "a command to explain")
            .Example("help", "help history")
            .Runs<CommandRegistry>(Help));
        registry.Add(new CommandSpec("whoami", "Basics", "Show who Capstan thinks you are: person, roles, permissions, chat handles")
            .Alias("who am i")
            .Example("whoami")
            .Runs(WhoAmI));
        registry.Add(new CommandSpec("history", "Basics", "Search the ledger: recent messages, commands and decisions")
            .Optional(What, "how many entries (default 20), or a subject such as an app")
            .Optional(Count, "how many entries")
            .Keyword("in", Place, description: "a room (or an environment for an app)")
            .Keyword("by", Person, description: "only what this person said or did")
            .Needs(ReadPermission)
            .Example("history 20 in ops by bob", "history", "history 5 by alice")
            .Runs<IEnumerable<IHistorySource>, RoomDirectory, Ledger.Ledger>(History));
        registry.Add(new CommandSpec("confirm", "Basics", "Go ahead with a destructive command you asked for")
            .Required(Id, "the code Capstan gave you")
            .Example("confirm K7F2")
            .Effects(SideEffect.Change) // it runs the command it confirms
            .Runs<Confirmations, Ledger.Ledger, Conversation.Conversation>(Confirm));
        registry.Add(new CommandSpec("cancel", "Basics", "Cancel a pending confirmation (or a job, or an approval request)")
            .Required(Id, "the code or id to cancel")
            .Example("cancel K7F2")
            .Effects(SideEffect.Change) // it stops jobs and withdraws approval requests
            .Runs<Confirmations, Ledger.Ledger, IEnumerable<ICancellationSource>>(Cancel));
        registry.Add(new CommandSpec("tokens", "Access", "List API tokens (yours, or a person's if you are an admin)")
            .Optional(Person)
            .Example("tokens", "tokens bob")
            .Runs<AccessTokens>(Tokens));
        registry.Add(new CommandSpec("token revoke", "Access", "Revoke every API token and session of a person, or one token by id")
            .Required(Who, "a person, or a token id such as t3f9a1c2b7e")
            .Needs(Policy.AccessPolicy.AdminPermission)
            .Effects(SideEffect.Destructive)
            .Example("token revoke bob", "token revoke t3f9a1c2b7e")
            .Runs<AccessTokens, Ledger.Ledger>(RevokeTokens));
        new Jobs.JobCommands().Register(registry);
    }

    private static Task<CommandResult> Help(CommandContext ctx, CommandRegistry registry)
    {
        var policy = ctx.Config.Policy;
        if (ctx.Find(CommandName) is { } wanted)
        {
            var (spec, used) = registry.Match(wanted.Split(' ', StringSplitOptions.RemoveEmptyEntries));
            if (spec is null || used != wanted.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length)
            {
                var near = Suggest.Nearest(wanted, registry.Names);
                return Task.FromResult(CommandResult.Invalid($"There is no command '{wanted}'" + (near is not null ? $" — did you mean '{near}'?" : ".") + " Type `help` for the list."));
            }
            return Task.FromResult(CommandResult.Info(Explain(spec, ctx)));
        }
        var mine = registry.All.Where(c => policy.MayEverUse(ctx.Actor, c.Permission, c.Id, ctx.Room)).ToList();
        var sb = new StringBuilder();
        sb.Append(ctx.Actor.IsGuest
            ? $"You are a guest ({ctx.Actor.Handle} on {ctx.Actor.Platform} is not linked to a person), so you can only run these. Ask an admin ({string.Join(", ", policy.Granters().Select(p => p.Id))}) to link your handle in capstan.yaml.\n"
            : $"Commands {ctx.Actor.Person!.Id} can run here (`help COMMAND` explains one):\n");
        foreach (var group in mine.GroupBy(c => c.Group))
        {
            sb.Append('\n').Append(group.Key).Append('\n');
            foreach (var c in group)
                sb.Append("  ").Append(c.Usage).Append(" — ").Append(c.Summary)
                  .Append(c.Examples.Count > 0 ? $". e.g. `{c.Examples[0]}`" : "").Append('\n');
        }
        var hidden = registry.All.Count() - mine.Count;
        if (hidden > 0) sb.Append($"\n{hidden} more command(s) need permissions you do not have.");
        return Task.FromResult(CommandResult.Info(sb.ToString().TrimEnd()));
    }

    private static string Explain(CommandSpec spec, CommandContext ctx)
    {
        var sb = new StringBuilder();
        sb.Append($"`{spec.Usage}` — {spec.Summary}.\n");
        if (spec.Details is not null) sb.Append(spec.Details).Append('\n');
        if (spec.Aliases.Count > 0) sb.Append("Also: ").Append(string.Join(", ", spec.Aliases)).Append('\n');
        if (spec.Arguments.Count > 0)
        {
            sb.Append("Arguments:\n");
            foreach (var a in spec.Arguments)
                sb.Append($"  {a.Usage} ({a.Kind.Name}{(a.Required ? ", required" : ", optional")})" + (a.Description.Length > 0 ? $": {a.Description}" : "") + "\n");
        }
        foreach (var f in spec.Flags) sb.Append($"  --{f.Name}: {f.Description}\n");
        var may = ctx.Config.Policy.MayEverUse(ctx.Actor, spec.Permission, spec.Id, ctx.Room);
        sb.Append("Permission: ").Append(spec.Permission is null ? "none needed" : $"'{spec.Permission}'" + (may ? " (you have it)" : " (you do not have it)")).Append('\n');
        sb.Append("Effect: ").Append(spec.Effect switch
        {
            SideEffect.Read => "read-only",
            SideEffect.Change => "changes something",
            _ => "destructive",
        }).Append(spec.NeedsConfirmation ? ", asks you to confirm first" : "").Append('\n');
        if (spec.Examples.Count > 0) sb.Append("Examples: ").Append(string.Join(", ", spec.Examples.Select(e => $"`{e}`")));
        return sb.ToString().TrimEnd();
    }

    private static Task<CommandResult> WhoAmI(CommandContext ctx)
    {
        var a = ctx.Actor;
        var policy = ctx.Config.Policy;
        if (a.Person is not { } p)
            return Task.FromResult(CommandResult.Info(
                $"You are {a.Handle} on {a.Platform}, not linked to anyone Capstan knows: a guest with no permissions. " +
                $"Ask an admin ({string.Join(", ", policy.Granters().Select(g => g.Id))}) to add `handles: {{ {a.Platform}: {a.Handle} }}` to your entry under people: in capstan.yaml."));
        var grants = policy.Permissions(p);
        var handles = p.Handles.Count == 0 ? "none" : string.Join(", ", p.Handles.Select(h => $"{h.Key}: {h.Value}"));
        var text = $"You are {p.Id} ({p.Name})" + (p.Email is not null ? $" <{p.Email}>" : "") + ".\n" +
            $"Roles: {(p.Roles.Count == 0 ? "none" : string.Join(", ", p.Roles))}\n" +
            $"Permissions: {(grants.Count == 0 ? "none" : string.Join("; ", grants.Select(g => g.IsEverything ? "everything (*)" : g.ToString())))}\n" +
            $"Chat handles: {handles}\n" +
            $"Speaking via: {a.Platform}" + (a.Via is not null ? $" ({a.Via})" : "");
        return Task.FromResult(CommandResult.Info(text));
    }

    private static async Task<CommandResult> History(CommandContext ctx, IEnumerable<IHistorySource> sources, RoomDirectory rooms, Ledger.Ledger ledger)
    {
        var what = ctx.Find(What);
        var count = ctx.Get(Count, 20);
        var place = ctx.Find(Place);
        if (what is not null && !int.TryParse(what, out count))
        {
            foreach (var source in sources)
                if (source.Knows(what, ctx))
                    return await source.HistoryAsync(what, place, ctx.Get(Count, 20), ctx);
            var kinds = sources.Select(s => s.Describe(ctx)).ToList();
            return CommandResult.Invalid($"'{what}' is neither a number of entries nor something with a history" +
                (kinds.Count > 0 ? $" ({string.Join("; ", kinds)})." : ".") + " For example `history 20 in ops by bob`.");
        }
        if (count is < 1 or > 500) return CommandResult.Invalid($"History shows 1 to 500 entries; {count} is out of range.");
        string? room = null;
        if (place is not null)
        {
            room = place.TrimStart('#').ToLowerInvariant();
            if (!rooms.Exists(room)) return CommandResult.Invalid(ArgumentKind.Unknown("room", room, rooms.NamesFor(ctx.Actor.Person?.Id)) + ".");
        }
        var reader = ctx.Config.Policy.LedgerReader(ctx.Actor);
        if (room is not null && reader is not null && !RoomDirectory.MayEnter(room, reader)) return CommandResult.Refuse(RoomDirectory.WhyPrivate(room));
        var entries = await ledger.QueryAsync(new LedgerQuery(Limit: count, Room: room, Actor: ctx.Find(Person), Newest: true, Reader: reader), ctx.Cancellation);
        if (entries.Count == 0) return CommandResult.Info("Nothing in the ledger matches that.");
        var rows = entries.Select(e => (IReadOnlyList<string>)[e.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture), e.At.ToString("MM-dd HH:mm:ss"), e.Actor, e.Room is null ? "" : "#" + e.Room, e.Kind, Summarise(e)]).ToList();
        var filters = new List<string>();
        if (room is not null) filters.Add($"in #{room}");
        if (ctx.Find(Person) is { } by) filters.Add($"by {by}");
        return CommandResult.Info($"Last {entries.Count} ledger entries{(filters.Count > 0 ? " " + string.Join(" ", filters) : "")}:",
            new Table(["seq", "time (UTC)", "who", "room", "kind", "what"], rows));
    }

    /// <summary>A one-line description of a ledger entry.</summary>
    public static string Summarise(LedgerEntry e)
    {
        try
        {
            using var doc = JsonDocument.Parse(e.Data);
            var d = doc.RootElement;
            string? S(string name) => d.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            var text = e.Kind switch
            {
                LedgerKinds.Message or LedgerKinds.Reply or LedgerKinds.Edit => S("text"),
                LedgerKinds.Command => S("problem") is { } p ? $"{S("command") ?? "?"}: {p}" : S("command") + (d.TryGetProperty("arguments", out var args) && args.ValueKind == JsonValueKind.Object && args.EnumerateObject().Any() ? " " + string.Join(" ", args.EnumerateObject().Select(a => $"{a.Name}={a.Value}")) : ""),
                LedgerKinds.Decision => $"{S("command")}: {(d.TryGetProperty("allowed", out var al) && al.GetBoolean() ? "allowed" : "denied")} — {S("reason")}",
                _ => S("subject") ?? S("summary") ?? S("text") ?? (d.ValueKind == JsonValueKind.Object
                    ? string.Join(" ", d.EnumerateObject().Where(p => p.Value.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False)
                        .Select(p => $"{p.Name}={p.Value}"))
                    : e.Data),
            } ?? "";
            text = text.ReplaceLineEndings(" ");
            return text.Length > 100 ? text[..100] + "…" : text;
        }
        catch (JsonException)
        {
            return e.Data.Length > 100 ? e.Data[..100] + "…" : e.Data;
        }
    }

    private static async Task<CommandResult> Confirm(CommandContext ctx, Confirmations confirmations, Ledger.Ledger ledger, Conversation.Conversation conversation)
    {
        if (ctx.Actor.Person is null) return CommandResult.Refuse("Guests cannot confirm commands.");
        var (pending, problem) = confirmations.Take(ctx.Get(Id), ctx.Actor.Person.Id);
        if (pending is null) return CommandResult.Refuse(problem!);
        await ledger.AppendAsync(LedgerKinds.Confirmation, ctx.Actor.LedgerName, ctx.Room, ctx.Thread, new { token = pending.Id, command = pending.Command.Spec.Id, state = "confirmed" });
        return await conversation.RunAsync(ctx.Actor, pending.Room, pending.Thread, pending.MessageId, pending.Command, ctx.Config, askConfirmation: false, ctx.Cancellation);
    }

    private static async Task<CommandResult> Cancel(CommandContext ctx, Confirmations confirmations, Ledger.Ledger ledger, IEnumerable<ICancellationSource> sources)
    {
        var id = ctx.Get(Id);
        if (confirmations.Has(id))
        {
            if (ctx.Actor.Person is null) return CommandResult.Refuse("Guests cannot cancel commands.");
            var (pending, problem) = confirmations.Take(id, ctx.Actor.Person.Id);
            if (pending is null) return CommandResult.Refuse(problem!);
            await ledger.AppendAsync(LedgerKinds.Confirmation, ctx.Actor.LedgerName, ctx.Room, ctx.Thread, new { token = pending.Id, command = pending.Command.Spec.Id, state = "cancelled" });
            return CommandResult.Ok($"Cancelled: `{pending.Command.Text}` will not run.");
        }
        foreach (var source in sources)
            if (await source.TryCancelAsync(id, ctx) is { } result) return result;
        return CommandResult.Invalid($"Nothing pending has the id '{id}'. Confirmation codes last {DurationText.Format(Confirmations.Lifetime)}; `jobs` lists running work.");
    }

    private static async Task<CommandResult> Tokens(CommandContext ctx, AccessTokens tokens)
    {
        if (ctx.Actor.Person is null) return CommandResult.Refuse("Guests have no tokens. Ask an admin to link your chat handle in capstan.yaml.");
        var person = ctx.Find(Person) ?? ctx.Actor.Person.Id;
        if (person != ctx.Actor.Person.Id)
        {
            var d = ctx.Config.Policy.Check(ctx.Actor, Policy.AccessPolicy.AdminPermission, "tokens", null, ctx.Room);
            if (!d.Allowed) return CommandResult.Refuse($"Only admins can list other people's tokens. {d.Reason}");
        }
        var list = await tokens.ListAsync(person, ctx.Cancellation);
        if (list.Count == 0) return CommandResult.Info($"{person} has no API tokens. Create one in the web UI (your name, top right) or with `capstan token create --person {person}`.");
        return CommandResult.Info($"API tokens of {person} (secrets are never shown again):",
            new Table(["id", "label", "created", "last used", "state"],
                list.Select(t => (IReadOnlyList<string>)[t.Id, t.Label, t.CreatedAt.ToString("yyyy-MM-dd HH:mm"), t.UsedAt?.ToString("yyyy-MM-dd HH:mm") ?? "never",
                    t.RevokedAt is not null ? "revoked" : t.ExpiresAt is { } e && e < ctx.Clock.GetUtcNow() ? "expired" : "active"]).ToList()));
    }

    private static async Task<CommandResult> RevokeTokens(CommandContext ctx, AccessTokens tokens, Ledger.Ledger ledger)
    {
        var who = ctx.Get(Who).TrimStart('@');
        var isPerson = ctx.Config.Policy.People.ContainsKey(who);
        if (!isPerson && !(who.StartsWith('t') && who.Length == 11))
            return CommandResult.Invalid(ArgumentKind.Unknown("person", who, ctx.Config.Policy.People.Keys) + " (or give a token id such as t3f9a1c2b7e; `tokens PERSON` lists them).");
        var n = await tokens.RevokeAsync(isPerson ? null : who, isPerson ? who : null, ctx.Cancellation);
        await ledger.AppendAsync(LedgerKinds.TokenRevoked, ctx.Actor.LedgerName, ctx.Room, ctx.Thread, new { target = who, count = n });
        return n == 0 ? CommandResult.Info($"{who} had no active tokens; nothing was revoked.")
            : CommandResult.Ok($"Revoked {n} token(s) and session(s) of {who}. They must sign in again.");
    }
}
