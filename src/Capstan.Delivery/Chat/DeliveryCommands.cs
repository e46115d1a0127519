using Capstan.Core;
using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Ledger;
using Capstan.Delivery.Apps;
using Capstan.Delivery.Board;
using Capstan.Delivery.Reconciliation;
using Capstan.Delivery.Targets;

namespace Capstan.Delivery.Chat;

/// <summary>The delivery commands: deploy, promote, rollback, approve, deny, status, diff, sync, logs, lock, unlock.</summary>
public sealed class DeliveryCommands : ICommandModule
{
    public const string DeployPermission = "deploy";
    public const string LockPermission = "lock";
    public const string ReadPermission = "read";
    private const string Group = "Delivery";

    /// <summary>An app name, checked against the apps in the configuration ("unknown app 'demoo' — did you mean 'demo'?").</summary>
    public static readonly ArgumentKind App = ArgumentKind.Named("app", c => (IReadOnlyCollection<string>?)c.Config.Find<DeliveryConfig>()?.Apps.Keys.ToList() ?? []);

    public void Register(CommandRegistry registry)
    {
        registry.Add(new CommandSpec("deploy", Group, "Deploy a version of an app to an environment (a commit; protected environments need a second person)")
            .Required("app", App).Required("version", ArgumentKind.Version).Keyword("to", "env", ArgumentKind.Environment, required: true)
            .Needs(DeployPermission).Effects(SideEffect.Change).Confirm(ConfirmationPolicy.Never)
            .Example("deploy demo 1.1.0 to staging").Runs(Deploy));
        registry.Add(new CommandSpec("promote", Group, "Deploy to an environment the version that is healthy in another")
            .Required("app", App).Keyword("from", "source", ArgumentKind.Environment, required: true).Keyword("to", "env", ArgumentKind.Environment, required: true)
            .ScopedBy("env").Needs(DeployPermission).Effects(SideEffect.Change).Confirm(ConfirmationPolicy.Never)
            .Example("promote demo from staging to prod").Runs(Promote));
        registry.Add(new CommandSpec("rollback", Group, "Go back to the previous healthy version (or a named one) of an app in an environment")
            .Required("app", App).Keyword("in", "env", ArgumentKind.Environment, required: true).Keyword("to", "version", ArgumentKind.Version)
            .Needs(DeployPermission).Effects(SideEffect.Change).Confirm(ConfirmationPolicy.Never)
            .Example("rollback demo in staging", "rollback demo in staging to 1.0.0").Runs(Rollback));
        registry.Add(new CommandSpec("approve", Group, "Approve a pending change to a protected environment (not your own)")
            .Required("id", ArgumentKind.Text, "the approval request id, such as A7KQ")
            .Effects(SideEffect.Change).Confirm(ConfirmationPolicy.Never)
            .Describe("Needs permission 'approve' for the request's environment; the person who asked cannot approve their own request.")
            .Example("approve A7KQ").Runs(ctx => ctx.Service<ApprovalDesk>().ApproveAsync(ctx, ctx.Command.Get<string>("id"))));
        registry.Add(new CommandSpec("deny", Group, "Refuse a pending change to a protected environment, saying why")
            .Required("id", ArgumentKind.Text, "the approval request id").Rest("reason", true, "why")
            .Effects(SideEffect.Change).Confirm(ConfirmationPolicy.Never)
            .Example("deny A7KQ not during the sale").Runs(ctx => ctx.Service<ApprovalDesk>().DenyAsync(ctx, ctx.Command.Get<string>("id"), ctx.Command.Get<string>("reason"))));
        registry.Add(new CommandSpec("status", Group, "Desired and live version, sync, health, URL and last deploy of apps per environment")
            .Optional("app", App).Keyword("in", "env", ArgumentKind.Environment)
            .Needs(ReadPermission).Example("status", "status demo", "status demo in prod").Runs(Status));
        registry.Add(new CommandSpec("diff", Group, "What would change in an environment: desired vs live")
            .Required("app", App).Keyword("in", "env", ArgumentKind.Environment, required: true)
            .Needs(ReadPermission).Example("diff demo in staging").Runs(Diff));
        registry.Add(new CommandSpec("sync", Group, "Reconcile an app in an environment now (retries a failed apply, lifts a hold, restarts a stopped app)")
            .Required("app", App).Keyword("in", "env", ArgumentKind.Environment, required: true)
            .Needs(DeployPermission).Effects(SideEffect.Change).Confirm(ConfirmationPolicy.Never)
            .Example("sync demo in staging").Runs(Sync));
        registry.Add(new CommandSpec("logs", Group, "The last lines an app wrote in an environment")
            .Required("app", App).Keyword("in", "env", ArgumentKind.Environment, required: true).Optional("lines", ArgumentKind.Int, "how many lines (default 20, at most 500)")
            .Needs(ReadPermission).Example("logs demo in staging", "logs demo in staging 100").Runs(Logs));
        registry.Add(new CommandSpec("lock", Group, "Freeze an environment: deploys are refused until it is unlocked")
            .Required("env", ArgumentKind.Environment).Rest("reason", true, "why, shown to whoever tries to deploy")
            .Needs(LockPermission).Effects(SideEffect.Change).Confirm(ConfirmationPolicy.Never)
            .Example("lock prod release freeze until Monday").Runs(Lock));
        registry.Add(new CommandSpec("unlock", Group, "Lift an environment's freeze")
            .Required("env", ArgumentKind.Environment)
            .Needs(LockPermission).Effects(SideEffect.Change).Confirm(ConfirmationPolicy.Never)
            .Example("unlock prod").Runs(Unlock));
    }

    private static DeliveryConfig Cfg(CommandContext ctx) => ctx.Config.Find<DeliveryConfig>() ?? DeliveryConfig.Empty;

    private static async Task<CommandResult> Deploy(CommandContext ctx)
    {
        var cfg = Cfg(ctx);
        var app = cfg.Apps[ctx.Command.Get<string>("app")];
        var version = ctx.Command.Get<string>("version");
        var env = ctx.Command.Get<string>("env");
        if (!app.Versions.ContainsKey(version)) return CommandResult.Invalid(Sentences.UnknownVersion(app, version) + ".");
        return await RequestAsync(ctx, new ChangeRequest("deploy", new Slot(app.Name, env), version, $"deploy {app.Name} {version} to {env}"), knownGood: false);
    }

    private static async Task<CommandResult> Promote(CommandContext ctx)
    {
        var cfg = Cfg(ctx);
        var app = ctx.Command.Get<string>("app");
        var source = ctx.Command.Get<string>("source");
        var env = ctx.Command.Get<string>("env");
        if (source == env) return CommandResult.Invalid($"Promote moves a version between two environments; {source} to {env} is the same one.");
        var view = ctx.Service<Reconciler>().View(new Slot(app, source));
        var version = cfg.DesiredVersionOf(new Slot(app, source));
        if (version is null) return CommandResult.Refuse($"{app} is not deployed to {source}, so there is nothing to promote from it.");
        if (view is null || view.Sync != SyncState.Synced || view.Health != HealthState.Healthy || view.Live?.Version != version)
            return CommandResult.Refuse($"{app} {version} is not healthy in {source} yet (sync {view?.Sync.ToString() ?? "unknown"}, health {view?.Health.ToString() ?? "unknown"}" +
                (view is { Detail.Length: > 0 } ? $": {view.Detail.Split('\n')[0]}" : "") + $"), so it cannot be promoted. `status {app} in {source}` shows more.");
        return await RequestAsync(ctx, new ChangeRequest("promote", new Slot(app, env), version, $"promote {app} {version} from {source} to {env}"), knownGood: false);
    }

    private static async Task<CommandResult> Rollback(CommandContext ctx)
    {
        var cfg = Cfg(ctx);
        var app = cfg.Apps[ctx.Command.Get<string>("app")];
        var env = ctx.Command.Get<string>("env");
        var slot = new Slot(app.Name, env);
        var current = cfg.DesiredVersionOf(slot);
        var history = await ctx.Service<IDeliveryStore>().DeploymentsAsync(app.Name, env, 200, ctx.Cancellation);
        var healthyBefore = history.Where(d => d.Outcome == DeploymentRecord.Healthy).Select(d => d.Version).ToList();
        var version = ctx.Command.Find<string>("version");
        if (version is null)
        {
            version = healthyBefore.FirstOrDefault(v => v != current);
            if (version is null)
                return CommandResult.Refuse($"No earlier healthy version of {app.Name} in {env} is known to roll back to. Name one: `rollback {app.Name} in {env} to VERSION` (versions: {string.Join(", ", app.VersionOrder)}).");
        }
        if (!app.Versions.ContainsKey(version)) return CommandResult.Invalid(Sentences.UnknownVersion(app, version) + ".");
        if (version == current) return CommandResult.Info($"{app.Name} is already set to {version} in {env}; nothing to roll back. `sync {app.Name} in {env}` re-applies it.");
        // Going back to a version that was healthy here restores a known-good state, so it needs no second person.
        return await RequestAsync(ctx, new ChangeRequest("rollback", slot, version, $"rollback {app.Name} in {env} to {version}"), knownGood: healthyBefore.Contains(version));
    }

    private static async Task<CommandResult> RequestAsync(CommandContext ctx, ChangeRequest change, bool knownGood)
    {
        if (ctx.Actor.Person is not { } person) return CommandResult.Refuse("Guests cannot change environments.");
        var cfg = Cfg(ctx);
        if (ChangeRequests.LockProblem(cfg, change.Slot.Environment) is { } locked) return CommandResult.Refuse($"Not deployed: {locked}");
        var ledger = ctx.Service<Ledger>();
        await ledger.AppendAsync("delivery.request", person.Id, ctx.Room, ctx.Thread, new
        {
            request = ctx.RequestId,
            action = change.Action,
            app = change.Slot.App,
            environment = change.Slot.Environment,
            version = change.Version,
            subject = change.Message,
        });
        var isProtected = ctx.Config.Policy.Environments.TryGetValue(change.Slot.Environment, out var info) && info.Protected;
        if (isProtected && !knownGood) return await ctx.Service<ApprovalDesk>().AskAsync(ctx, change);
        return await ctx.Service<ChangeRequests>().CommitAsync(change, person, [], ctx.RequestId, ctx.Room, ctx.Thread, ctx.Cancellation);
    }

    private static Task<CommandResult> Status(CommandContext ctx)
    {
        var board = ctx.Service<DeliveryBoard>();
        var app = ctx.Command.Find<string>("app");
        var env = ctx.Command.Find<string>("env");
        var apps = app is null ? board.Apps() : [board.App(app)!];
        if (apps.Count == 0) return Task.FromResult(CommandResult.Info("No apps are declared yet. Add apps/NAME.yaml to the config repo (docs/delivery.md)."));
        var now = ctx.Clock.GetUtcNow();
        var rows = new List<IReadOnlyList<string>>();
        var notes = new List<string>();
        foreach (var a in apps)
            foreach (var e in a.Environments.Where(e => env is null || e.Name == env))
            {
                if (env is null && app is null && e.DesiredVersion is null && e.LiveVersion is null) continue;
                var last = e.LastDeploy is { } d ? $"{d.Version} by {d.By}, {Sentences.Ago(now - d.At)}" : "";
                rows.Add([a.Name, e.Name, e.DesiredVersion ?? "-", e.LiveVersion ?? "-", e.Sync.ToString(), e.Health.ToString(), e.Url ?? "", last]);
                if (e.Held) notes.Add($"{a.Name} in {e.Name} is on hold: {e.HeldReason}. Deploy or `sync {a.Name} in {e.Name}` to lift it.");
                if (e.Sync == SyncState.Failed) notes.Add($"{a.Name} in {e.Name} failed: {e.Detail.Split('\n')[0]}");
                if (e.Health == HealthState.Degraded) notes.Add($"{a.Name} in {e.Name} is degraded: {e.Detail.Split('\n')[0]}");
            }
        var cfg = Cfg(ctx);
        foreach (var l in cfg.Locks.Values.Where(l => env is null || l.Environment == env))
            notes.Add($"{l.Environment} is locked by {l.By}: \"{l.Reason}\"");
        var rejected = ctx.Service<ConfigState>().Rejected;
        if (rejected is not null)
            notes.Add($"the newest config commit {rejected.Commit[..7]} by {rejected.Author} was refused ({rejected.Errors.Count} error(s), first: {rejected.Errors[0]}); the last good one is in force");
        var title = $"Status{(app is null ? "" : " of " + app)}{(env is null ? "" : " in " + env)} (config {ctx.Config.ShortCommit}):";
        if (rows.Count == 0) return Task.FromResult(CommandResult.Info($"Nothing is deployed{(env is null ? "" : " to " + env)} yet."));
        var text = notes.Count == 0 ? title : title + "\n" + string.Join("\n", notes.Select(n => "• " + n));
        return Task.FromResult(CommandResult.Info(text, new Table(["app", "env", "desired", "live", "sync", "health", "url", "last deploy"], rows)));
    }

    private static Task<CommandResult> Diff(CommandContext ctx)
    {
        var app = ctx.Command.Get<string>("app");
        var env = ctx.Command.Get<string>("env");
        var diff = ctx.Service<DeliveryBoard>().Diff(app, env);
        var head = $"{app} in {env}: desired {diff.DesiredVersion ?? "(none)"}, live {diff.LiveVersion ?? "(nothing)"}" +
            (diff.Cause is { } c ? $"; desired since {c.ShortCommit} by {c.AuthorName} (\"{c.Subject}\")" : "") + (diff.InSync ? " — in sync." : "");
        return Task.FromResult(CommandResult.Info(head + "\n" + string.Join("\n", diff.Lines)));
    }

    private static async Task<CommandResult> Sync(CommandContext ctx)
    {
        var slot = new Slot(ctx.Command.Get<string>("app"), ctx.Command.Get<string>("env"));
        var reconciler = ctx.Service<Reconciler>();
        await ctx.Service<Ledger>().AppendAsync("delivery.sync", ctx.Actor.LedgerName, ctx.Room, ctx.Thread, new { app = slot.App, environment = slot.Environment, request = ctx.RequestId });
        reconciler.Lift(slot, force: true);
        await reconciler.ReconcileAsync(ctx.Cancellation);
        var v = reconciler.View(slot);
        if (v is null) return CommandResult.Info($"{slot.App} is not deployed to {slot.Environment} and nothing runs there; nothing to sync.");
        var state = v.Applying ? $"applying {v.DesiredVersion} now; the result is posted in #{RoomOf(ctx, slot.Environment)}" : $"{v.Sync}, {v.Health}" + (v.Live is { Running: true } l ? $" on {l.Version} ({l.Url})" : "");
        return CommandResult.Ok($"Reconciled {slot}: {state}.");
    }

    private static async Task<CommandResult> Logs(CommandContext ctx)
    {
        var slot = new Slot(ctx.Command.Get<string>("app"), ctx.Command.Get<string>("env"));
        var n = ctx.Command.FindValue<int>("lines") ?? 20;
        if (n is < 1 or > 500) return CommandResult.Invalid($"logs shows 1 to 500 lines; {n} is out of range.");
        var lines = await ctx.Service<Reconciler>().LogsAsync(slot, n, ctx.Cancellation);
        if (lines.Count == 0) return CommandResult.Info($"{slot.App} has written nothing in {slot.Environment} yet.");
        return CommandResult.Info($"Last {lines.Count} line(s) of {slot.App} in {slot.Environment}:\n```\n{string.Join("\n", lines)}\n```");
    }

    private static async Task<CommandResult> Lock(CommandContext ctx)
    {
        if (ctx.Actor.Person is not { } person) return CommandResult.Refuse("Guests cannot lock environments.");
        var env = ctx.Command.Get<string>("env");
        var reason = ctx.Command.Get<string>("reason").ReplaceLineEndings(" ").Trim();
        var cfg = Cfg(ctx);
        if (cfg.Locks.TryGetValue(env, out var existing))
            return CommandResult.Info($"{env} is already locked by {existing.By}: \"{existing.Reason}\".");
        var path = DeliverySection.LockFile(env);
        var text = $"by: {person.Id}\nreason: {YamlQuote(reason)}\nat: {ctx.Clock.GetUtcNow():yyyy-MM-ddTHH:mm:ssZ}\n";
        var write = await ctx.Service<ConfigWriter>().CommitAsync(person.Id, new CommitGrant(LockPermission, ctx.Command.Spec.Id, env, ctx.Room),
            new ConfigChange($"lock {env}: {reason}", ConfigWriter.AuthorOf(person), _ => new Dictionary<string, string?> { [path] = text }, [new(ChangeCause.RequestTrailer, ctx.RequestId)]), ctx.Cancellation);
        if (write.Refused) return CommandResult.Refuse(write.Refusal!);
        var commit = write.Commit;
        await ctx.Service<ConfigReloader>().RefreshAsync(ctx.Cancellation);
        await ctx.Service<Ledger>().AppendAsync("delivery.lock", person.Id, ctx.Room, ctx.Thread, new { environment = env, reason, commit = commit?.Sha, subject = $"lock {env}: {reason}" });
        return CommandResult.Ok($"Locked {env} (commit {commit?.ShortSha}): deploys to it are refused until someone runs `unlock {env}`.");
    }

    private static async Task<CommandResult> Unlock(CommandContext ctx)
    {
        if (ctx.Actor.Person is not { } person) return CommandResult.Refuse("Guests cannot unlock environments.");
        var env = ctx.Command.Get<string>("env");
        var cfg = Cfg(ctx);
        if (!cfg.Locks.TryGetValue(env, out var existing)) return CommandResult.Info($"{env} is not locked.");
        var write = await ctx.Service<ConfigWriter>().CommitAsync(person.Id, new CommitGrant(LockPermission, ctx.Command.Spec.Id, env, ctx.Room),
            new ConfigChange($"unlock {env}", ConfigWriter.AuthorOf(person),
                files => files.ContainsKey(existing.File) ? new Dictionary<string, string?> { [existing.File] = null } : null, [new(ChangeCause.RequestTrailer, ctx.RequestId)]), ctx.Cancellation);
        if (write.Refused) return CommandResult.Refuse(write.Refusal!);
        var commit = write.Commit;
        await ctx.Service<ConfigReloader>().RefreshAsync(ctx.Cancellation);
        await ctx.Service<Ledger>().AppendAsync("delivery.unlock", person.Id, ctx.Room, ctx.Thread, new { environment = env, commit = commit?.Sha, subject = $"unlock {env}" });
        return CommandResult.Ok($"Unlocked {env} (commit {commit?.ShortSha}; it was locked by {existing.By}: \"{existing.Reason}\"). Deploys are accepted again.");
    }

    private static string RoomOf(CommandContext ctx, string env) => Cfg(ctx).Policy(env).Room ?? ctx.Config.Policy.DefaultRoom;

    private static string YamlQuote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
