using System.Text.RegularExpressions;
using LibGit2Sharp;

namespace Capstan.Flow.GitFlow;

/// <summary>A Git repository driven with git-flow AVH's model: init, start, finish, publish, track, delete, list, continue and abort.</summary>
public sealed partial class GitFlowRepository : IDisposable
{
    private readonly Repository repository;
    private readonly BranchMerger merger;

    private GitFlowRepository(Repository repository)
    {
        this.repository = repository;
        merger = new BranchMerger(repository);
    }

    /// <summary>Opens the repository containing <paramref name="path"/>.</summary>
    public static GitFlowRepository Open(string path)
    {
        var repository = GitRepositoryLocator.Open(path);
        if (repository.Info.IsBare)
        {
            repository.Dispose();
            throw new FlowException($"'{path}' is a bare repository; git-flow needs a work tree. Clone it and run the command in the clone.");
        }
        return new GitFlowRepository(repository);
    }

    public string WorkTree => repository.Info.WorkingDirectory;

    /// <summary>The gitflow.* settings; refuses when git flow init has not run.</summary>
    public FlowConfiguration Configuration =>
        FlowConfiguration.Read(repository)
        ?? throw new FlowException("git-flow is not set up in this repository. Run 'capstan flow init -d' (or 'git flow init -d') first.");

    public bool IsInitialized => FlowConfiguration.Read(repository) is not null;

    /// <summary>True when git-flow is set up and both its production and development branches exist here.</summary>
    public bool HasFlowBranches => FlowConfiguration.Read(repository) is { } c
        && repository.Branches[c.MainBranch] is not null && repository.Branches[c.DevelopBranch] is not null;

    /// <summary>The finish that stopped on a conflict, if any.</summary>
    public FinishState? PendingFinish => FinishState.Load(repository.Info.Path);

    public void Dispose() => repository.Dispose();

    /// <summary>Sets up git-flow like "git flow init -d": gitflow.* keys, a develop branch, and an initial commit when there is none.</summary>
    public Task<FlowResult> InitAsync(InitOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new InitOptions();
        cancellationToken.ThrowIfCancellationRequested();
        var actions = new List<string>();
        if (IsInitialized && !options.Force)
        {
            var existing = Configuration;
            return Task.FromResult(new FlowResult("init", [$"git-flow was already set up (main '{existing.MainBranch}', develop '{existing.DevelopBranch}'); use --force to set it up again"], CurrentBranchName()));
        }
        var main = options.MainBranch ?? FirstExisting("production", "main", "master") ?? "master";
        var develop = options.DevelopBranch ?? FirstExisting("develop", "int", "integration") ?? "develop";
        if (main == develop)
            throw new FlowException($"The production and development branches must differ, but both are '{main}'. Pass a different --develop name.");
        if (repository.Head.Tip is null)
        {
            var signature = merger.Signature();
            var tree = repository.ObjectDatabase.CreateTree(new TreeDefinition());
            var commit = repository.ObjectDatabase.CreateCommit(signature, signature, "Initial commit\n", tree, [], prettifyMessage: false);
            repository.Refs.Add("refs/heads/" + main, commit.Id);
            repository.Refs.UpdateTarget("HEAD", "refs/heads/" + main);
            actions.Add($"An initial commit was made on '{main}'");
        }
        else if (repository.Branches[main] is null && repository.Branches["origin/" + main] is { } remoteMain)
        {
            var local = repository.Branches.Add(main, remoteMain.Tip);
            repository.Branches.Update(local, b => b.TrackedBranch = remoteMain.CanonicalName);
            actions.Add($"Branch '{main}' was created from 'origin/{main}'");
        }
        else if (repository.Branches[main] is null)
        {
            throw new FlowException($"The production branch '{main}' does not exist. Create it, or pass --main with an existing branch.");
        }
        if (repository.Branches[develop] is null && repository.Branches["origin/" + develop] is { } remoteDevelop)
        {
            var local = repository.Branches.Add(develop, remoteDevelop.Tip);
            repository.Branches.Update(local, b => b.TrackedBranch = remoteDevelop.CanonicalName);
            actions.Add($"Branch '{develop}' was created from 'origin/{develop}'");
        }
        else if (repository.Branches[develop] is null)
        {
            repository.Branches.Add(develop, repository.Branches[main].Tip);
            actions.Add($"Branch '{develop}' was created from '{main}'");
        }
        var configuration = new FlowConfiguration(main, develop,
            Prefix(options.FeaturePrefix, "feature/"), Prefix(options.BugfixPrefix, "bugfix/"), Prefix(options.ReleasePrefix, "release/"),
            Prefix(options.HotfixPrefix, "hotfix/"), Prefix(options.SupportPrefix, "support/"), Prefix(options.VersionTagPrefix, ""),
            "origin", repository.Config.Get<string>("core.hooksPath")?.Value ?? Path.Combine(repository.Info.Path, "hooks").TrimEnd('/'),
            false, false);
        configuration.Write(repository);
        actions.Add($"git-flow was set up: production branch '{main}', development branch '{develop}', prefixes {configuration.FeaturePrefix} {configuration.BugfixPrefix} {configuration.ReleasePrefix} {configuration.HotfixPrefix} {configuration.SupportPrefix}, version tag prefix '{configuration.VersionTagPrefix}'");
        if (IsClean() && (repository.Info.IsHeadDetached || repository.Head.FriendlyName != develop))
        {
            merger.Checkout(develop);
        }
        return Task.FromResult(new FlowResult("init", actions, CurrentBranchName()));
    }

    /// <summary>The branches of one kind, as "git flow KIND list" shows them.</summary>
    public IReadOnlyList<FlowBranch> List(FlowBranchKind kind)
    {
        var prefix = Configuration.Prefix(kind);
        return repository.Branches.Where(b => !b.IsRemote && b.FriendlyName.StartsWith(prefix, StringComparison.Ordinal))
            .OrderBy(b => b.FriendlyName, StringComparer.Ordinal)
            .Select(b => new FlowBranch(b.FriendlyName, b.FriendlyName[prefix.Length..], kind, b.Tip.Sha, b.IsCurrentRepositoryHead,
                repository.Config.Get<string>($"gitflow.branch.{b.FriendlyName}.base")?.Value))
            .ToList();
    }

    /// <summary>Starts a feature, bugfix, release, hotfix or support branch like "git flow KIND start".</summary>
    public async Task<FlowResult> StartAsync(FlowBranchKind kind, string name, string? baseRef = null, StartOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new StartOptions();
        var c = Configuration;
        RequireNoPendingFinish();
        RequireNotShallow();
        if (string.IsNullOrWhiteSpace(name))
            throw new FlowException($"Give the {kind.CommandName()} a name, for example 'capstan flow {kind.CommandName()} start {(kind.IsVersioned() ? "1.2.0" : "login")}'.");
        if (kind.IsVersioned() && !VersionName().IsMatch(name))
            throw new FlowException($"'{name}' is not a version. Name {kind.CommandName()} branches after the version they ship, for example 'capstan flow {kind.CommandName()} start 1.2.0'.");
        if (!kind.IsVersioned() && !ValidBranchName(name))
            throw new FlowException($"'{name}' cannot be used in a branch name. Use letters, digits, '-', '_', '.' or '/'.");
        var branch = c.Prefix(kind) + name;
        var baseBranch = baseRef ?? kind switch
        {
            FlowBranchKind.Hotfix => c.MainBranch,
            FlowBranchKind.Support => throw new FlowException($"A support branch needs a base, usually a release tag: 'capstan flow support start {name} {c.VersionTagPrefix}1.0.0'."),
            _ => c.DevelopBranch,
        };
        if (kind != FlowBranchKind.Support && repository.Branches[baseBranch] is null)
            throw new FlowException($"The base branch '{baseBranch}' does not exist locally. Create it, fetch it, or run 'capstan flow init -d'.");
        if (kind is FlowBranchKind.Release && List(FlowBranchKind.Release).FirstOrDefault() is { } open)
            throw new FlowException($"There is already a release branch '{open.Name}'. Finish or delete it before starting another one.");
        if (kind is FlowBranchKind.Hotfix && !c.MultiHotfix && List(FlowBranchKind.Hotfix).FirstOrDefault() is { } hot)
            throw new FlowException($"There is already a hotfix branch '{hot.Name}'. Finish or delete it first, or set gitflow.multi-hotfix to true.");
        if (kind is FlowBranchKind.Release or FlowBranchKind.Hotfix or FlowBranchKind.Support && !c.AllowDirty) RequireClean();
        if (repository.Branches[branch] is not null)
            throw new FlowException($"The branch '{branch}' already exists. Pick another name, or finish or delete the existing branch.");
        if (kind.IsVersioned() && kind != FlowBranchKind.Support && repository.Tags[c.VersionTagPrefix + name] is not null)
            throw new FlowException($"The tag '{c.VersionTagPrefix + name}' already exists, so version {name} was already released. Choose the next version.");
        if (options.Fetch)
            await GitCli.RequireAsync(WorkTree, $"Fetching '{baseBranch}' from '{c.Origin}' failed", ["fetch", "-q", c.Origin, baseBranch], cancellationToken);
        RequireNotBehindRemote(baseBranch);
        var baseCommit = kind == FlowBranchKind.Support ? ResolveSupportBase(baseBranch) : repository.Branches[baseBranch].Tip;

        var hooks = new FlowHooks(c, WorkTree);
        var hookName = kind.IsVersioned() ? c.VersionTagPrefix + name : name;
        if (kind != FlowBranchKind.Support)
            await hooks.RunPreAsync(kind.CommandName(), "start", [hookName, c.Origin, branch, baseBranch], cancellationToken);
        if (kind != FlowBranchKind.Support)
            repository.Config.Set($"gitflow.branch.{branch}.base", baseBranch, ConfigurationLevel.Local);
        var created = repository.Branches.Add(branch, baseCommit);
        Commands.Checkout(repository, created);
        if (kind != FlowBranchKind.Support)
            await hooks.RunPostAsync(kind.CommandName(), "start", [hookName, c.Origin, branch, baseBranch], cancellationToken);
        return new FlowResult($"{kind.CommandName()} start", [$"A new branch '{branch}' was created, based on '{baseBranch}'"], CurrentBranchName());
    }

    /// <summary>Finishes a branch with git-flow AVH's merge and tag order; stops on conflicts with a saved state.</summary>
    public async Task<FlowResult> FinishAsync(FlowBranchKind kind, string? name = null, FinishOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new FinishOptions();
        var c = Configuration;
        if (kind == FlowBranchKind.Support)
            throw new FlowException("Support branches are never finished; they live on. Start hotfixes from them instead: 'capstan flow hotfix start 1.0.1 support/1.0'.");
        RequireNoPendingFinish();
        RequireNotShallow();
        var branch = ResolveBranch(kind, name);
        var shortName = branch[c.Prefix(kind).Length..];
        RequireClean();
        var baseBranch = repository.Config.Get<string>($"gitflow.branch.{branch}.base")?.Value
                         ?? (kind == FlowBranchKind.Hotfix ? c.MainBranch : c.DevelopBranch);
        if (repository.Branches[baseBranch] is null)
            throw new FlowException($"The base '{baseBranch}' of '{branch}' does not exist locally, so '{branch}' cannot be finished. Create or fetch '{baseBranch}' first.");

        if (repository.Refs[$"refs/remotes/{c.Origin}/{branch}"] is not null)
            await GitCli.RequireAsync(WorkTree, $"Fetching '{branch}' from '{c.Origin}' failed", ["fetch", "-q", c.Origin, branch], cancellationToken);
        if (options.Fetch)
        {
            foreach (var b in kind is FlowBranchKind.Feature or FlowBranchKind.Bugfix ? new[] { baseBranch } : new[] { c.MainBranch, c.DevelopBranch })
                await GitCli.RequireAsync(WorkTree, $"Fetching '{b}' from '{c.Origin}' failed", ["fetch", "-q", c.Origin, b], cancellationToken);
        }
        RequireNotBehindRemote(branch);
        RequireNotBehindRemote(baseBranch);

        var tagName = c.VersionTagPrefix + (options.TagName ?? shortName);
        var plan = kind is FlowBranchKind.Feature or FlowBranchKind.Bugfix
            ? PlanFeatureFinish(kind, branch, shortName, baseBranch, options)
            : PlanReleaseFinish(kind, branch, baseBranch, tagName, options);

        var hooks = new FlowHooks(c, WorkTree);
        var hookFirst = kind is FlowBranchKind.Feature or FlowBranchKind.Bugfix ? shortName : tagName;
        await hooks.RunPreAsync(kind.CommandName(), "finish", [hookFirst, c.Origin, branch], cancellationToken);

        var state = new FinishState
        {
            Command = $"{kind.CommandName()} finish",
            Kind = kind,
            Name = shortName,
            Branch = branch,
            OriginalHead = repository.Info.IsHeadDetached ? repository.Head.Tip.Sha : repository.Head.FriendlyName,
            OriginalRefs = OriginalRefs(branch, baseBranch, c, kind.IsVersioned() ? tagName : null),
            OriginalBase = repository.Config.Get<string>($"gitflow.branch.{branch}.base")?.Value,
            Steps = plan.Steps,
            Actions = plan.Actions,
            FinalBranch = plan.FinalBranch,
        };
        return await new FinishRunner(repository, c, hooks).RunAsync(state, cancellationToken);
    }

    /// <summary>Completes a finish that stopped on a conflict, after the conflict was resolved and staged.</summary>
    public Task<FlowResult> ContinueAsync(CancellationToken cancellationToken = default)
    {
        var state = PendingFinish ?? throw new FlowException("There is no finish to continue. Start one with 'capstan flow release finish VERSION' (or feature/hotfix).");
        var c = Configuration;
        return new FinishRunner(repository, c, new FlowHooks(c, WorkTree)).ContinueAsync(state, cancellationToken);
    }

    /// <summary>Undoes a finish that stopped: every branch, tag and HEAD go back to where they were before it started.</summary>
    public Task<FlowResult> AbortAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var state = PendingFinish ?? throw new FlowException("There is no finish to abort; the repository is not in the middle of a flow operation.");
        var c = Configuration;
        return Task.FromResult(new FinishRunner(repository, c, new FlowHooks(c, WorkTree)).Abort(state));
    }

    /// <summary>Pushes the branch to origin and sets it as upstream, like "git flow KIND publish".</summary>
    public async Task<FlowResult> PublishAsync(FlowBranchKind kind, string? name = null, CancellationToken cancellationToken = default)
    {
        var c = Configuration;
        var branch = ResolveBranch(kind, name);
        RequireClean();
        if (repository.Network.Remotes[c.Origin] is null)
            throw new FlowException($"There is no remote '{c.Origin}'. Add it with 'git remote add {c.Origin} URL' first.");
        if (repository.Refs[$"refs/remotes/{c.Origin}/{branch}"] is not null)
            throw new FlowException($"The branch '{branch}' is already on '{c.Origin}'. Push new commits with 'git push'.");
        var hooks = new FlowHooks(c, WorkTree);
        var first = kind.IsVersioned() ? c.VersionTagPrefix + branch[c.Prefix(kind).Length..] : branch[c.Prefix(kind).Length..];
        await hooks.RunPreAsync(kind.CommandName(), "publish", [first, c.Origin, branch], cancellationToken);
        await GitCli.RequireAsync(WorkTree, $"Publishing '{branch}' to '{c.Origin}' failed",
            ["push", "-u", c.Origin, $"refs/heads/{branch}:refs/heads/{branch}"], cancellationToken);
        merger.Checkout(branch);
        await hooks.RunPostAsync(kind.CommandName(), "publish", [first, c.Origin, branch], cancellationToken);
        return new FlowResult($"{kind.CommandName()} publish",
            [$"The remote branch '{branch}' was created on '{c.Origin}'", $"The local branch '{branch}' tracks '{c.Origin}/{branch}'"], CurrentBranchName());
    }

    /// <summary>Creates a local branch that tracks the remote one, like "git flow KIND track".</summary>
    public async Task<FlowResult> TrackAsync(FlowBranchKind kind, string name, CancellationToken cancellationToken = default)
    {
        var c = Configuration;
        RequireClean();
        var branch = c.Prefix(kind) + name;
        if (repository.Branches[branch] is not null)
            throw new FlowException($"The branch '{branch}' already exists locally. Check it out with 'git checkout {branch}'.");
        await GitCli.RequireAsync(WorkTree, $"Fetching from '{c.Origin}' failed", ["fetch", "-q", c.Origin], cancellationToken);
        var remote = repository.Branches[$"{c.Origin}/{branch}"]
                     ?? throw new FlowException($"There is no branch '{branch}' on '{c.Origin}'. Check the name with 'git branch -r'.");
        var hooks = new FlowHooks(c, WorkTree);
        await hooks.RunPreAsync(kind.CommandName(), "track", [name, c.Origin, branch], cancellationToken);
        var local = repository.Branches.Add(branch, remote.Tip);
        repository.Branches.Update(local, b => b.TrackedBranch = remote.CanonicalName);
        Commands.Checkout(repository, local);
        await hooks.RunPostAsync(kind.CommandName(), "track", [name, c.Origin, branch], cancellationToken);
        return new FlowResult($"{kind.CommandName()} track", [$"A new local branch '{branch}' was created, tracking '{c.Origin}/{branch}'"], CurrentBranchName());
    }

    /// <summary>Deletes a flow branch, like "git flow KIND delete [-f] [-r]".</summary>
    public async Task<FlowResult> DeleteAsync(FlowBranchKind kind, string? name = null, DeleteOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new DeleteOptions();
        var c = Configuration;
        RequireNoPendingFinish();
        var branch = ResolveBranch(kind, name);
        var shortName = branch[c.Prefix(kind).Length..];
        var baseBranch = repository.Config.Get<string>($"gitflow.branch.{branch}.base")?.Value
                         ?? (kind == FlowBranchKind.Hotfix ? c.MainBranch : c.DevelopBranch);
        var tip = repository.Branches[branch].Tip;
        var merged = repository.Branches[baseBranch] is { } b && repository.ObjectDatabase.FindMergeBase(tip, b.Tip)?.Sha == tip.Sha;
        if (!merged && !options.Force)
            throw new FlowException($"The branch '{branch}' has commits that are not merged into '{baseBranch}'. Finish it, or delete it anyway with -f.");
        var hooks = new FlowHooks(c, WorkTree);
        var first = kind.IsVersioned() ? c.VersionTagPrefix + shortName : shortName;
        await hooks.RunPreAsync(kind.CommandName(), "delete", [first, c.Origin, branch], cancellationToken);
        if (repository.Head.FriendlyName == branch)
        {
            RequireClean();
            merger.Checkout(repository.Branches[baseBranch] is not null ? baseBranch : c.DevelopBranch);
        }
        var actions = new List<string>();
        if (options.Remote && repository.Refs[$"refs/remotes/{c.Origin}/{branch}"] is not null)
        {
            await GitCli.RequireAsync(WorkTree, $"Deleting '{branch}' on '{c.Origin}' failed", ["push", c.Origin, ":refs/heads/" + branch], cancellationToken);
            actions.Add($"The branch '{branch}' was deleted on '{c.Origin}'");
        }
        repository.Branches.Remove(branch);
        if (repository.Config.Get<string>($"gitflow.branch.{branch}.base") is not null)
            repository.Config.Unset($"gitflow.branch.{branch}.base", ConfigurationLevel.Local);
        actions.Add($"The branch '{branch}' was deleted");
        await hooks.RunPostAsync(kind.CommandName(), "delete", [first, c.Origin, branch], cancellationToken);
        return new FlowResult($"{kind.CommandName()} delete", actions, CurrentBranchName());
    }
}
