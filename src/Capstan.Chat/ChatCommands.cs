using Capstan.Chat.Adapters;
using Capstan.Chat.Linking;
using Capstan.Core.Commands;
using Capstan.Core.Conversation;
using Capstan.Core.Jobs;
using Capstan.Core.Ledger;
using Capstan.Core.Ledger.Events;
using Capstan.Core.Policy;

namespace Capstan.Chat;

/// <summary>The chat module's commands: <c>link</c> (a one-time code that links the handle asking to a person) and <c>adapters</c>.</summary>
public sealed class ChatCommands : ICommandModule
{
    private const string Group = "Chat platforms";

    public void Register(CommandRegistry registry)
    {
        // No permission: a guest must be able to ask, and a linked person adds another platform by asking from it.
        registry.Add(new CommandSpec("link", Group, "Link the chat handle you are writing from to your Capstan identity (a one-time code you confirm on the web UI)")
            .Describe("Write it to Capstan in a direct message; confirm the code on the web UI's /link page while signed in, within 10 minutes.")
            .Example("link")
            .Effects(SideEffect.Change)
            .Runs<LinkCodes, Ledger, JobRunner, IEnumerable<AdapterHost>>(Link));
        registry.Add(new CommandSpec("adapters", Group, "Show each chat platform adapter: state, since when, last error, reconnects and counts")
            .Needs(CoreCommands.ReadPermission)
            .Example("adapters")
            .Runs<IEnumerable<AdapterHost>>(Adapters));
    }

    private static async Task<CommandResult> Link(CommandContext ctx, LinkCodes codes, Ledger ledger, JobRunner jobs, IEnumerable<AdapterHost> hosts)
    {
        var actor = ctx.Actor;
        if (string.Equals(actor.Platform, AccessPolicy.CapstanPlatform, StringComparison.OrdinalIgnoreCase))
            return CommandResult.Refuse("`link` is for chat platforms (Slack, Matrix, IRC …): write it to Capstan from the handle you want linked. The web UI and the terminal already know you.");
        // A code said in a room could be confirmed by anyone reading it, tying this handle to their identity.
        if (!string.Equals(RoomDirectory.PrivateTo(ctx.Room), actor.RoomKey, StringComparison.OrdinalIgnoreCase))
            return CommandResult.Refuse("Write `link` to Capstan in a direct message: the code must stay between you and Capstan.");
        if (hosts.FirstOrDefault() is not { } host)
            return CommandResult.Fail(AdapterReport.NoServer);
        var page = jobs.WebAddress is { Length: > 0 } web ? $"{web.TrimEnd('/')}/link" : "the /link page of Capstan's web UI";
        var (code, expires) = await codes.IssueAsync(actor.Platform, actor.Handle, ctx.Cancellation);
        // The code goes to the person alone: replies are kept in the room history and the ledger, the code must not be.
        var sent = await host.SendUnrecordedAsync(actor.Platform, ctx.Room, $"Your link code: {code}", ctx.Cancellation);
        if (!sent) return CommandResult.Fail($"Capstan could not send your link code on {actor.Platform} just now; write `link` again in a moment.");
        await ledger.AppendAsync(new HandleLinkAsked(actor.Platform, actor.Handle, expires), actor.LedgerName, ctx.Room, ctx.Thread);
        var now = actor.Person is { } p ? $" You are {p.Id} here already; confirming links this handle to whoever confirms it." : "";
        return CommandResult.Info($"I sent you a link code in a message of its own (it is not kept in the history). Sign in to Capstan's web UI and enter it at {page} " +
            $"within {DurationText.Format(LinkCodes.Lifetime)}; it works once and links {actor.Handle} on {actor.Platform} to the person who confirms it.{now}");
    }

    private static Task<CommandResult> Adapters(CommandContext ctx, IEnumerable<AdapterHost> hosts) =>
        Task.FromResult(hosts.FirstOrDefault() is { } host ? AdapterReport.Result(host.Statuses, ctx.Clock.GetUtcNow()) : CommandResult.Info(AdapterReport.NoServer));
}
