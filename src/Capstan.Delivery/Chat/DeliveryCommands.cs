using Capstan.Core;
using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Ledger;
using Capstan.Core.Ledger.Events;
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
    private static readonly Argument<AppName> App = new("app",
        ArgumentKind.Named("app", c => (IReadOnlyCollection<string>?)c.Config.Find<DeliveryConfig>()?.Apps.Keys.ToList() ?? []).As(name => new AppName(name)));
    private static readonly Argument<string> Version = new("version", ArgumentKind.Version);
    /// <summary>The environment a command acts on; it scopes the permission.</summary>
    private static readonly Argument<EnvironmentName> Env = new("env", ArgumentKind.Environment);
    /// <summary>The environment <c>promote</c> takes its version from.</summary>
    private static readonly Argument<EnvironmentName> Source = new("source", ArgumentKind.Environment);
    private static readonly Argument<string> Id = new("id", ArgumentKind.Text);
    private static readonly Argument<string> Reason = new("reason", ArgumentKind.Text);
    private static readonly Argument<int> Lines = new("lines", ArgumentKind.Int);

    public void Register(CommandRegistry registry)
    {
        registry.Add(new CommandSpec("deploy", Group, "Deploy a version of an app to an environment (a commit; protected environments need a second person)")
            .Required(App).Required(Version).Keyword("to", Env, required: true)
            .Needs(DeployPermission).Effects(SideEffect.Change).Confirm(ConfirmationPolicy.Never)
            .Example("deploy demo 1.1.0 to staging").Runs<Ledger, ApprovalDesk, ChangeRequests>(Deploy));
        registry.Add(new CommandSpec("promote", Group, "Deploy to an environment the version that is healthy in another")
            .Required(App).Keyword("from", Source, required: true).Keyword("to", Env, required: true)
            .ScopedBy(Env).Needs(DeployPermission).Effects(SideEffect.Change).Confirm(ConfirmationPolicy.Never)
            .Example("promote demo from staging to prod").Runs<Reconciler, Ledger, ApprovalDesk, ChangeRequests>(Promote));
        registry.Add(new CommandSpec("rollback", Group, "Go back to the previous healthy version (or a named one) of an app in an environment")
            .Required(App).Keyword("in", Env, required: true).Keyword("to", Version)
            .Needs(DeployPermission).Effects(SideEffect.Change).Confirm(ConfirmationPolicy.Never)
            .Example("rollback demo in staging", "rollback demo in staging to 1.0.0").Runs<IDeliveryStore, Ledger, ApprovalDesk, ChangeRequests>(Rollback));
        registry.Add(new CommandSpec("approve", Group, "Approve a pending change to a protected environment (not your own)")
            .Required(Id, "the approval request id, such as A7KQ")
            .Effects(SideEffect.Change).Confirm(ConfirmationPolicy.Never)
            .Describe("Needs permission 'approve' for the request's environment; the person who asked cannot approve their own request.")
            .Example("approve A7KQ").Runs<ApprovalDesk>((ctx, desk) => desk.ApproveAsync(ctx, ctx.Get(Id))));
        registry.Add(new CommandSpec("deny", Group, "Refuse a pending change to a protected environment, saying why")
            .Required(Id, "the approval request id").Rest(Reason, true, "why")
            .Effects(SideEffect.Change).Confirm(ConfirmationPolicy.Never)
            .Example("deny A7KQ not during the sale").Runs<ApprovalDesk>((ctx, desk) => desk.DenyAsync(ctx, ctx.Get(Id), ctx.Get(Reason))));
        registry.Add(new CommandSpec("status", Group, "Desired and live version, sync, health, URL and last deploy of apps per environment")
            .Optional(App).Keyword("in", Env)
            .Needs(ReadPermission).Example("status", "status demo", "status demo in prod").Runs<DeliveryBoard, ConfigState>(Status));
        registry.Add(new CommandSpec("diff", Group, "What would change in an environment: desired vs live")
            .Required(App).Keyword("in", Env, required: true)
            .Needs(ReadPermission).Example("diff demo in staging").Runs<DeliveryBoard>(Diff));
        registry.Add(new CommandSpec("sync", Group, "Reconcile an app in an environment now (retries a failed apply, lifts a hold, restarts a stopped app)")
            .Required(App).Keyword("in", Env, required: true)
            .Needs(DeployPermission).Effects(SideEffect.Change).Confirm(ConfirmationPolicy.Never)
            .Example("sync demo in staging").Runs<Reconciler, Ledger>(Sync));
        registry.Add(new CommandSpec("logs", Group, "The last lines an app wrote in an environment")
            .Required(App).Keyword("in", Env, required: true).Optional(Lines, "how many lines (default 20, at most 500)")
            .Needs(ReadPermission).Example("logs demo in staging", "logs demo in staging 100").Runs<Reconciler>(Logs));
        registry.Add(new CommandSpec("lock", Group, "Freeze an environment: deploys are refused until it is unlocked")
            .Required(Env).Rest(Reason, true, "why, shown to whoever tries to deploy")
            .Needs(LockPermission).Effects(SideEffect.Change).Confirm(ConfirmationPolicy.Never)
            .Example("lock prod release freeze until Monday").Runs<ConfigWriter, ConfigReloader, Ledger>(Lock));
        registry.Add(new CommandSpec("unlock", Group, "Lift an environment's freeze")
            .Required(Env)
            .Needs(LockPermission).Effects(SideEffect.Change).Confirm(ConfirmationPolicy.Never)
            .Example("unlock prod").Runs<ConfigWriter, ConfigReloader, Ledger>(Unlock));
    }

    private static DeliveryConfig Cfg(CommandContext ctx) => ctx.Config.Find<DeliveryConfig>() ?? DeliveryConfig.Empty;

    private static async Task<CommandResult> Deploy(CommandContext ctx, Ledger ledger, ApprovalDesk desk, ChangeRequests changes)
    {
        var cfg = Cfg(ctx);
        var app = cfg.Apps[ctx.Get(App).Value];
        var version = ctx.Get(Version);
        var env = ctx.Get(Env);
        if (!app.Versions.ContainsKey(version)) return CommandResult.Invalid(Sentences.UnknownVersion(app, version) + ".");
        return await RequestAsync(ctx, ledger, desk, changes, new ChangeRequest("deploy", new Slot(app.Name, env.Value), version, $"deploy {app.Name} {version} to {env}"), knownGood: false);
    }

    private static async Task<CommandResult> Promote(CommandContext ctx, Reconciler reconciler, Ledger ledger, ApprovalDesk desk, ChangeRequests changes)
    {
        var cfg = Cfg(ctx);
        var app = ctx.Get(App).Value;
        var source = ctx.Get(Source).Value;
        var env = ctx.Get(Env).Value;
        if (source == env) return CommandResult.Invalid($"Promote moves a version between two environments; {source} to {env} is the same one.");
        var view = reconciler.View(new Slot(app, source));
        var version = cfg.DesiredVersionOf(new Slot(app, source));
        if (version is null) return CommandResult.Refuse($"{app} is not deployed to {source}, so there is nothing to promote from it.");
        if (view is null || view.Sync != SyncState.Synced || view.Health != HealthState.Healthy || view.Live?.Version != version)
            return CommandResult.Refuse($"{app} {version} is not healthy in {source} yet (sync {view?.Sync.ToString() ?? "unknown"}, health {view?.Health.ToString() ?? "unknown"}" +
                (view is { Detail.Length: > 0 } ? $": {view.Detail.Split('\n')[0]}" : "") + $"), so it cannot be promoted. `status {app} in {source}` shows more.");
        return await RequestAsync(ctx, ledger, desk, changes, new ChangeRequest("promote", new Slot(app, env), version, $"promote {app} {version} from {source} to {env}"), knownGood: false);
    }

    private static async Task<CommandResult> Rollback(CommandContext ctx, IDeliveryStore store, Ledger ledger, ApprovalDesk desk, ChangeRequests changes)
    {
        var cfg = Cfg(ctx);
        var app = cfg.Apps[ctx.Get(App).Value];
        var env = ctx.Get(Env).Value;
        var slot = new Slot(app.Name, env);
        var current = cfg.DesiredVersionOf(slot);
        var history = await store.DeploymentsAsync(app.Name, env, 200, ctx.Cancellation);
        var healthyBefore = history.Where(d => d.Outcome == DeploymentRecord.Healthy).Select(d => d.Version).ToList();
        var version = ctx.Find(Version);
        if (version is null)
        {
            version = healthyBefore.FirstOrDefault(v => v != current);
            if (version is null)
                return CommandResult.Refuse($"No earlier healthy version of {app.Name} in {env} is known to roll back to. Name one: `rollback {app.Name} in {env} to VERSION` (versions: {string.Join(", ", app.VersionOrder)}).");
        }
        if (!app.Versions.ContainsKey(version)) return CommandResult.Invalid(Sentences.UnknownVersion(app, version) + ".");
        if (version == current) return CommandResult.Info($"{app.Name} is already set to {version} in {env}; nothing to roll back. `sync {app.Name} in {env}` re-applies it.");
        // Going back to a version that was healthy here restores a known-good state, so it needs no second person.
        return await RequestAsync(ctx, ledger, desk, changes, new ChangeRequest("rollback", slot, version, $"rollback {app.Name} in {env} to {version}"), knownGood: healthyBefore.Contains(version));
    }

    private static async Task<CommandResult> RequestAsync(CommandContext ctx, Ledger ledger, ApprovalDesk desk, ChangeRequests changes, ChangeRequest change, bool knownGood)
    {
        if (ctx.Actor.Person is not { } person) return CommandResult.Refuse("Guests cannot change environments.");
        var cfg = Cfg(ctx);
        if (ChangeRequests.LockProblem(cfg, change.Slot.Environment) is { } locked) return CommandResult.Refuse($"Not deployed: {locked}");
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
        if (isProtected && !knownGood) return await desk.AskAsync(ctx, change);
        return await changes.CommitAsync(change, person, [], ctx.RequestId, ctx.Room, ctx.Thread, ctx.Cancellation);
    }

    private static Task<CommandResult> Status(CommandContext ctx, DeliveryBoard board, ConfigState state)
    {
        var app = ctx.Find(App)?.Value;
        var env = ctx.Find(Env)?.Value;
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
        var rejected = state.Rejected;
        if (rejected is not null)
            notes.Add($"the newest config commit {rejected.Commit[..7]} by {rejected.Author} was refused ({rejected.Errors.Count} error(s), first: {rejected.Errors[0]}); the last good one is in force");
        var title = $"Status{(app is null ? "" : " of " + app)}{(env is null ? "" : " in " + env)} (config {ctx.Config.ShortCommit}):";
        if (rows.Count == 0) return Task.FromResult(CommandResult.Info($"Nothing is deployed{(env is null ? "" : " to " + env)} yet."));
        var text = notes.Count == 0 ? title : title + "\n" + string.Join("\n", notes.Select(n => "• " + n));
        return Task.FromResult(CommandResult.Info(text, new Table(["app", "env", "desired", "live", "sync", "health", "url", "last deploy"], rows)));
    }

    private static Task<CommandResult> Diff(CommandContext ctx, DeliveryBoard board)
    {
        var (app, env) = SlotOf(ctx);
        var diff = board.Diff(app, env);
        var head = $"{app} in {env}: desired {diff.DesiredVersion ?? "(none)"}, live {diff.LiveVersion ?? "(nothing)"}" +
            (diff.Cause is { } c ? $"; desired since {c.ShortCommit} by {c.AuthorName} (\"{c.Subject}\")" : "") + (diff.InSync ? " — in sync." : "");
        return Task.FromResult(CommandResult.Info(head + "\n" + string.Join("\n", diff.Lines)));
    }

    private static async Task<CommandResult> Sync(CommandContext ctx, Reconciler reconciler, Ledger ledger)
    {
        var slot = SlotOf(ctx);
        await ledger.AppendAsync("delivery.sync", ctx.Actor.LedgerName, ctx.Room, ctx.Thread, new { app = slot.App, environment = slot.Environment, request = ctx.RequestId });
        reconciler.Lift(slot, force: true);
        await reconciler.ReconcileAsync(ctx.Cancellation);
        var v = reconciler.View(slot);
        if (v is null) return CommandResult.Info($"{slot.App} is not deployed to {slot.Environment} and nothing runs there; nothing to sync.");
        var state = v.Applying ? $"applying {v.DesiredVersion} now; the result is posted in #{RoomOf(ctx, slot.Environment)}" : $"{v.Sync}, {v.Health}" + (v.Live is { Running: true } l ? $" on {l.Version} ({l.Url})" : "");
        return CommandResult.Ok($"Reconciled {slot}: {state}.");
    }

    private static async Task<CommandResult> Logs(CommandContext ctx, Reconciler reconciler)
    {
        var slot = SlotOf(ctx);
        var n = ctx.Get(Lines, 20);
        if (n is < 1 or > 500) return CommandResult.Invalid($"logs shows 1 to 500 lines; {n} is out of range.");
        var lines = await reconciler.LogsAsync(slot, n, ctx.Cancellation);
        if (lines.Count == 0) return CommandResult.Info($"{slot.App} has written nothing in {slot.Environment} yet.");
        return CommandResult.Info($"Last {lines.Count} line(s) of {slot.App} in {slot.Environment}:\n```\n{string.Join("\n", lines)}\n```");
    }

    private static async Task<CommandResult> Lock(CommandContext ctx, ConfigWriter writer, ConfigReloader reloader, Ledger ledger)
    {
        if (ctx.Actor.Person is not { } person) return CommandResult.Refuse("Guests cannot lock environments.");
        var env = ctx.Get(Env).Value;
        var reason = ctx.Get(Reason).ReplaceLineEndings(" ").Trim();
        var cfg = Cfg(ctx);
        if (cfg.Locks.TryGetValue(env, out var existing))
            return CommandResult.Info($"{env} is already locked by {existing.By}: \"{existing.Reason}\".");
        var path = DeliverySection.LockFile(env);
        var text = $"by: {person.Id}\nreason: {YamlQuote(reason)}\nat: {ctx.Clock.GetUtcNow():yyyy-MM-ddTHH:mm:ssZ}\n";
        var write = await writer.CommitAsync(person.Id, new CommitGrant(LockPermission, ctx.Command.Spec.Id, env, ctx.Room),
            new ConfigChange($"lock {env}: {reason}", ConfigWriter.AuthorOf(person), _ => new Dictionary<string, string?> { [path] = text }, [new(ChangeCause.RequestTrailer, ctx.RequestId)]), ctx.Cancellation);
        if (write.Refused) return CommandResult.Refuse(write.Refusal!);
        var commit = write.Commit;
        await reloader.RefreshAsync(ctx.Cancellation);
        await ledger.AppendAsync(new EnvironmentLocked(env, reason, commit?.Sha, $"lock {env}: {reason}"), person.Id, ctx.Room, ctx.Thread);
        return CommandResult.Ok($"Locked {env} (commit {commit?.ShortSha}): deploys to it are refused until someone runs `unlock {env}`.");
    }

    private static async Task<CommandResult> Unlock(CommandContext ctx, ConfigWriter writer, ConfigReloader reloader, Ledger ledger)
    {
        if (ctx.Actor.Person is not { } person) return CommandResult.Refuse("Guests cannot unlock environments.");
        var env = ctx.Get(Env).Value;
        var cfg = Cfg(ctx);
        if (!cfg.Locks.TryGetValue(env, out var existing)) return CommandResult.Info($"{env} is not locked.");
        var write = await writer.CommitAsync(person.Id, new CommitGrant(LockPermission, ctx.Command.Spec.Id, env, ctx.Room),
            new ConfigChange($"unlock {env}", ConfigWriter.AuthorOf(person),
                files => files.ContainsKey(existing.File) ? new Dictionary<string, string?> { [existing.File] = null } : null, [new(ChangeCause.RequestTrailer, ctx.RequestId)]), ctx.Cancellation);
        if (write.Refused) return CommandResult.Refuse(write.Refusal!);
        var commit = write.Commit;
        await reloader.RefreshAsync(ctx.Cancellation);
        await ledger.AppendAsync(new EnvironmentUnlocked(env, commit?.Sha, $"unlock {env}"), person.Id, ctx.Room, ctx.Thread);
        return CommandResult.Ok($"Unlocked {env} (commit {commit?.ShortSha}; it was locked by {existing.By}: \"{existing.Reason}\"). Deploys are accepted again.");
    }

    /// <summary>The app and environment a command names, as the slot the reconciler keeps.</summary>
    private static Slot SlotOf(CommandContext ctx) => new(ctx.Get(App).Value, ctx.Get(Env).Value);

    private static string RoomOf(CommandContext ctx, string env) => Cfg(ctx).Policy(env).Room ?? ctx.Config.Policy.DefaultRoom;

    private static string YamlQuote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
