using Capstan.Core.Commands;
using Capstan.Core.Ledger;
using Capstan.Flow;
using Capstan.Flow.Changelog;
using Capstan.Flow.GitFlow;
using Capstan.Flow.Versioning;

namespace Capstan.Delivery.Sources;

/// <summary>
/// GitFlow from chat on the source repos declared in capstan.yaml: <c>flow release start 1.2.0 in api</c>,
/// <c>flow release finish 1.2.0 in api</c>, <c>version api [BRANCH]</c>, <c>changelog api 1.1.0..1.2.0</c>.
/// Starting and publishing branches needs permission <c>flow</c>; finishing a release or hotfix needs <c>release</c>.
/// </summary>
public sealed class FlowCommands : ICommandModule
{
    public const string Group = "Flow";
    public const string FlowPermission = "flow";
    public const string ReleasePermission = "release";

    private static readonly Argument<string> Repo = new("repo", ArgumentKind.Named("repo", ctx => ctx.Config.Find<SourceRepos>()?.All.Keys.ToList() ?? []));
    /// <summary>What a release or hotfix branch is called: its version.</summary>
    private static readonly Argument<string> Version = new("version", ArgumentKind.Version);
    /// <summary>What a feature or bugfix branch is called.</summary>
    private static readonly Argument<string> Name = new("name", ArgumentKind.Text);
    private static readonly Argument<string> Base = new("base", ArgumentKind.Text);
    private static readonly Argument<string> Message = new("message", ArgumentKind.Text);
    private static readonly Argument<string> Branch = new("branch", ArgumentKind.Text);
    private static readonly Argument<string> Range = new("range", ArgumentKind.Text);
    private static readonly FlagSpec Keep = new("keep", "keep the branch (-k)");
    private static readonly FlagSpec NoTag = new("notag", "do not tag (-n)");
    private static readonly FlagSpec Squash = new("squash", "squash the branch into one commit");

    public void Register(CommandRegistry registry)
    {
        foreach (var kind in new[] { FlowBranchKind.Feature, FlowBranchKind.Bugfix, FlowBranchKind.Release, FlowBranchKind.Hotfix })
        {
            var k = kind.CommandName();
            var versioned = kind is FlowBranchKind.Release or FlowBranchKind.Hotfix;
            var what = versioned ? Version : Name;
            var sample = versioned ? (kind == FlowBranchKind.Release ? "1.2.0" : "1.1.1") : "login";
            registry.Add(new CommandSpec($"flow {k} start", Group, $"Start a {k} branch in a source repo (pushed to origin)")
                .Required(what)
                .Keyword("in", Repo, required: true)
                .Keyword("from", Base, description: "branch or commit to start from")
                .Needs(FlowPermission).Effects(SideEffect.Change)
                .Example($"flow {k} start {sample} in api")
                .Runs<Ledger, SourceWorkspace>((ctx, ledger, sources) => StartAsync(ctx, ledger, sources, kind)));
            var finish = new CommandSpec($"flow {k} finish", Group, versioned
                    ? $"Finish a {k}: --no-ff merge into main, annotated tag, merge back into develop, delete the branch (git-flow AVH's order), then push"
                    : $"Finish a {k}: merge it into its base and delete it, then push")
                .Required(what)
                .Keyword("in", Repo, required: true)
                .Flag(Keep)
                .Needs(versioned ? ReleasePermission : FlowPermission).Effects(SideEffect.Change)
                .Example($"flow {k} finish {sample} in api");
            if (versioned) finish.Keyword("message", Message, description: "tag message (-m)").Flag(NoTag);
            else finish.Flag(Squash);
            registry.Add(finish.Runs<Ledger, SourceWorkspace>((ctx, ledger, sources) => FinishAsync(ctx, ledger, sources, kind)));
            registry.Add(new CommandSpec($"flow {k} list", Group, $"List the {k} branches of a source repo")
                .Keyword("in", Repo, required: true)
                .Needs(CoreCommands.ReadPermission)
                .Example($"flow {k} list in api")
                .Runs<SourceWorkspace>((ctx, sources) => ListAsync(ctx, sources, kind)));
        }
        registry.Add(new CommandSpec("version", Group, "The version of a source repo's branch, as GitVersion computes it for GitFlow")
            .Required(Repo)
            .Optional(Branch, "default: develop")
            .Needs(CoreCommands.ReadPermission)
            .Example("version api", "version api release/1.2.0")
            .Runs<SourceWorkspace>(VersionAsync));
        registry.Add(new CommandSpec("changelog", Group, "Changes between two versions of a source repo, grouped by Conventional Commit type")
            .Required(Repo)
            .Optional(Range, "FROM..TO, e.g. 1.1.0..1.2.0 (default: last tag..develop)")
            .Needs(CoreCommands.ReadPermission)
            .Example("changelog api 1.1.0..1.2.0")
            .Runs<SourceWorkspace>(ChangelogAsync));
    }

    private static SourceRepo RepoOf(CommandContext ctx) => ctx.Config.Get<SourceRepos>().All[ctx.Get(Repo)];

    private static string NameOf(CommandContext ctx, FlowBranchKind kind) =>
        ctx.Get(kind is FlowBranchKind.Release or FlowBranchKind.Hotfix ? Version : Name);

    private static async Task<CommandResult> StartAsync(CommandContext ctx, Ledger ledger, SourceWorkspace sources, FlowBranchKind kind)
    {
        var repo = RepoOf(ctx);
        var name = NameOf(ctx, kind);
        return await OperateAsync(ctx, ledger, sources, repo, $"flow {kind.CommandName()} start {name} in {repo.Name}", async dir =>
        {
            using var flow = GitFlowRepository.Open(dir);
            return await flow.StartAsync(kind, name, ctx.Find(Base), null, ctx.Cancellation);
        });
    }

    private static async Task<CommandResult> FinishAsync(CommandContext ctx, Ledger ledger, SourceWorkspace sources, FlowBranchKind kind)
    {
        var repo = RepoOf(ctx);
        var name = NameOf(ctx, kind);
        // Releases and hotfixes declare --notag and a tag message; features and bugfixes declare --squash.
        var versioned = kind is FlowBranchKind.Release or FlowBranchKind.Hotfix;
        var options = new FinishOptions
        {
            Keep = ctx.Has(Keep),
            NoTag = versioned && ctx.Has(NoTag),
            Squash = !versioned && ctx.Has(Squash),
            Message = (versioned ? ctx.Find(Message) : null) ?? (kind is FlowBranchKind.Release ? $"Release {name}" : kind is FlowBranchKind.Hotfix ? $"Hotfix {name}" : null),
        };
        return await OperateAsync(ctx, ledger, sources, repo, $"flow {kind.CommandName()} finish {name} in {repo.Name}", async dir =>
        {
            using var flow = GitFlowRepository.Open(dir);
            try
            {
                return await flow.FinishAsync(kind, name, options, ctx.Cancellation);
            }
            catch (FlowException) when (flow.PendingFinish is not null)
            {
                // A conflict: nothing was pushed; put Capstan's clone back so the next attempt starts clean.
                await flow.AbortAsync(ctx.Cancellation);
                throw;
            }
        });
    }

    private static async Task<CommandResult> OperateAsync(CommandContext ctx, Ledger ledger, SourceWorkspace sources, SourceRepo repo, string what, Func<string, Task<FlowResult>> operation)
    {
        try
        {
            var (result, pushed) = await sources.RunAsync(repo, push: true, operation, ctx.Cancellation);
            await ledger.AppendAsync("flow.operation", ctx.Actor.LedgerName, ctx.Room, ctx.Thread,
                new { request = ctx.RequestId, repo = repo.Name, operation = what, actions = result.Actions, pushed = pushed.Lines });
            var version = VersionCalculator.Calculate(sources.PathOf(repo), result.CurrentBranch, useCache: false);
            var text = $"Done: `{what}`.\n" + string.Join("\n", result.Actions.Select(a => "• " + a)) +
                (pushed.Lines.Count > 0 ? "\nPushed to origin: " + string.Join("; ", pushed.Lines) : "\nNothing to push.") +
                $"\n{result.CurrentBranch} is now version {version.FullSemVer}.";
            return CommandResult.Ok(text);
        }
        catch (Exception ex) when (ex is FlowException or SourceException)
        {
            await ledger.AppendAsync("flow.refused", ctx.Actor.LedgerName, ctx.Room, ctx.Thread, new { request = ctx.RequestId, repo = repo.Name, operation = what, reason = ex.Message });
            return CommandResult.Fail($"`{what}` did not happen: {ex.Message}");
        }
    }

    private static async Task<CommandResult> ListAsync(CommandContext ctx, SourceWorkspace sources, FlowBranchKind kind)
    {
        var repo = RepoOf(ctx);
        try
        {
            var (branches, _) = await sources.RunAsync(repo, push: false, dir =>
            {
                using var flow = GitFlowRepository.Open(dir);
                return Task.FromResult(flow.List(kind));
            }, ctx.Cancellation);
            if (branches.Count == 0) return CommandResult.Info($"{repo.Name} has no {kind.CommandName()} branches. Start one with `flow {kind.CommandName()} start NAME in {repo.Name}`.");
            return CommandResult.Info($"{kind} branches of {repo.Name}:",
                new Table(["branch", "tip", "base"], branches.Select(b => (IReadOnlyList<string>)[b.Name, b.TipSha[..7], b.Base ?? ""]).ToList()));
        }
        catch (Exception ex) when (ex is FlowException or SourceException)
        {
            return CommandResult.Fail(ex.Message);
        }
    }

    private static async Task<CommandResult> VersionAsync(CommandContext ctx, SourceWorkspace sources)
    {
        var repo = RepoOf(ctx);
        var branch = ctx.Get(Branch, "develop");
        try
        {
            var (v, _) = await sources.RunAsync(repo, push: false, dir => VersionCalculator.CalculateAsync(dir, branch, useCache: true, ctx.Cancellation), ctx.Cancellation);
            return CommandResult.Info($"{repo.Name} {branch} is {v.FullSemVer}",
                new Table(["variable", "value"], new (string, string?)[]
                {
                    ("FullSemVer", v.FullSemVer), ("SemVer", v.SemVer), ("MajorMinorPatch", v.MajorMinorPatch), ("PreReleaseTag", v.PreReleaseTag),
                    ("CommitsSinceVersionSource", v.CommitsSinceVersionSource.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    ("InformationalVersion", v.InformationalVersion), ("BranchName", v.BranchName), ("ShortSha", v.ShortSha),
                }.Select(p => (IReadOnlyList<string>)[p.Item1, p.Item2 ?? ""]).ToList()));
        }
        catch (Exception ex) when (ex is FlowException or SourceException)
        {
            return CommandResult.Fail(ex.Message);
        }
    }

    private static async Task<CommandResult> ChangelogAsync(CommandContext ctx, SourceWorkspace sources)
    {
        var repo = RepoOf(ctx);
        var range = ctx.Find(Range);
        string? from = null, to = null;
        if (range is not null)
        {
            var parts = range.Split("..", 2);
            if (parts.Length != 2) return CommandResult.Invalid($"'{range}' is not a range; write FROM..TO, e.g. `changelog {repo.Name} 1.1.0..1.2.0`.");
            (from, to) = (parts[0].Length > 0 ? parts[0] : null, parts[1].Length > 0 ? parts[1] : null);
        }
        try
        {
            var (markdown, _) = await sources.RunAsync(repo, push: false,
                dir => Task.FromResult(MarkdownChangelog.Render(Changelog.Build(dir, from, to))), ctx.Cancellation);
            return CommandResult.Info(markdown.Trim());
        }
        catch (Exception ex) when (ex is FlowException or SourceException)
        {
            return CommandResult.Fail(ex.Message);
        }
    }
}
