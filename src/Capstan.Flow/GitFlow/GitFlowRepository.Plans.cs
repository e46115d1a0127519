using System.Text.RegularExpressions;
using LibGit2Sharp;

namespace Capstan.Flow.GitFlow;

public sealed partial class GitFlowRepository
{
    private sealed record Plan(List<FinishStep> Steps, List<string> Actions, string FinalBranch);

    private Plan PlanFeatureFinish(FlowBranchKind kind, string branch, string name, string baseBranch, FinishOptions o)
    {
        var c = Configuration;
        var ahead = CountAhead(baseBranch, branch);
        var mode = o.Squash ? "squash" : o.NoFastForward ? "no-ff" : ahead == 1 ? "ff" : "no-ff";
        var keepLocal = o.Keep || o.KeepLocal;
        var keepRemote = o.Keep || o.KeepRemote;
        var steps = new List<FinishStep>
        {
            new() { Action = "merge", Into = baseBranch, Source = branch, Mode = mode, Message = merger.MergeMessage(branch, baseBranch) },
            new() { Action = "post-hook", Into = kind.CommandName(), Arguments = [name, c.Origin, branch] },
            new() { Action = "remove-config", Source = branch },
        };
        if (o.Push) steps.Add(new() { Action = "push", Source = baseBranch });
        if (!keepRemote) steps.Add(new() { Action = "delete-remote", Source = branch });
        if (!keepLocal) steps.Add(new() { Action = "delete-local", Source = branch, Into = baseBranch });
        var actions = new List<string>
        {
            $"The {kind.CommandName()} branch '{branch}' was merged into '{baseBranch}'" + (mode == "ff" ? " (fast-forward)" : mode == "squash" ? " (squashed)" : ""),
            keepLocal ? $"The branch '{branch}' is still locally available" : $"The branch '{branch}' was deleted",
        };
        return new Plan(steps, actions, baseBranch);
    }

    private Plan PlanReleaseFinish(FlowBranchKind kind, string branch, string baseBranch, string tagName, FinishOptions o)
    {
        var c = Configuration;
        if (kind == FlowBranchKind.Hotfix && repository.Branches[branch].Tip.Sha == repository.Branches[baseBranch].Tip.Sha)
            throw new FlowException($"The hotfix branch '{branch}' has no commits of its own yet. Commit the fix on it, then finish it.");
        if (!o.NoTag && repository.Tags[tagName] is { } existing)
        {
            var tagged = existing.PeeledTarget as Commit;
            var second = tagged?.Parents.Skip(1).FirstOrDefault();
            if (second?.Sha != repository.Branches[branch].Tip.Sha)
                throw new FlowException($"The tag '{tagName}' already exists and does not point at the merge of '{branch}'. Finish with another tag name (-T) or delete the old tag.");
        }
        var keepLocal = o.Keep || o.KeepLocal;
        var keepRemote = o.Keep || o.KeepRemote;
        var mergeMode = o.Squash ? "squash" : "no-ff";
        var usual = kind == FlowBranchKind.Release ? baseBranch == c.DevelopBranch : baseBranch == c.MainBranch;
        var mainTarget = usual ? c.MainBranch : baseBranch;
        var steps = new List<FinishStep>
        {
            new() { Action = "merge", Into = mainTarget, Source = branch, Mode = mergeMode, Message = merger.MergeMessage(branch, mainTarget) },
        };
        var actions = new List<string> { $"The {kind.CommandName()} branch '{branch}' was merged into '{mainTarget}'" };
        if (!o.NoTag)
        {
            steps.Add(new() { Action = "tag", Into = mainTarget, Source = tagName, Message = (o.Message ?? tagName) + "\n" });
            actions.Add($"The {kind.CommandName()} was tagged '{tagName}'");
        }
        var final = mainTarget;
        if (usual && !o.NoDevelopMerge)
        {
            string source, skip, mode;
            if (!o.NoBackMerge)
            {
                source = o.NoTag ? c.MainBranch : "refs/tags/" + tagName;
                skip = c.MainBranch;
                mode = "no-ff";
                actions.Add(o.NoTag ? $"'{c.MainBranch}' was merged back into '{c.DevelopBranch}'" : $"The tag '{tagName}' was merged back into '{c.DevelopBranch}'");
            }
            else
            {
                source = branch;
                skip = branch;
                mode = mergeMode;
                actions.Add($"The branch '{branch}' was merged into '{c.DevelopBranch}'");
            }
            steps.Add(new() { Action = "merge", Into = c.DevelopBranch, Source = source, SkipIfMerged = skip, Mode = mode, Message = merger.MergeMessage(source, c.DevelopBranch) });
            final = c.DevelopBranch;
        }
        steps.Add(new() { Action = "post-hook", Into = kind.CommandName(), Arguments = [tagName, c.Origin, branch] });
        if (o.Push)
        {
            if (usual && !o.NoDevelopMerge) steps.Add(new() { Action = "push", Source = c.DevelopBranch });
            steps.Add(new() { Action = "push", Source = mainTarget });
            if (!o.NoTag) steps.Add(new() { Action = "push", Source = "--tags" });
            actions.Add($"The results were pushed to '{c.Origin}'");
        }
        if (!keepRemote) steps.Add(new() { Action = "delete-remote", Source = branch });
        if (!keepLocal)
        {
            steps.Add(new() { Action = "delete-local", Source = branch, Into = mainTarget });
            steps.Add(new() { Action = "remove-config", Source = branch });
        }
        actions.Add(keepLocal ? $"The branch '{branch}' is still locally available" : $"The branch '{branch}' was deleted");
        return new Plan(steps, actions, final);
    }

    private Dictionary<string, string?> OriginalRefs(string branch, string baseBranch, FlowConfiguration c, string? tag)
    {
        var refs = new Dictionary<string, string?>();
        foreach (var b in new[] { branch, baseBranch, c.MainBranch, c.DevelopBranch }.Distinct())
            refs["refs/heads/" + b] = repository.Branches[b]?.Tip.Sha;
        if (tag is not null) refs["refs/tags/" + tag] = repository.Refs["refs/tags/" + tag]?.TargetIdentifier;
        return refs;
    }

    private string ResolveBranch(FlowBranchKind kind, string? name)
    {
        var prefix = Configuration.Prefix(kind);
        if (string.IsNullOrEmpty(name))
        {
            if (repository.Info.IsHeadDetached)
                throw new FlowException($"HEAD is detached, so there is no current {kind.CommandName()} branch. Name the {kind.CommandName()}, for example 'capstan flow {kind.CommandName()} finish NAME'.");
            var current = repository.Head.FriendlyName;
            if (!current.StartsWith(prefix, StringComparison.Ordinal))
                throw new FlowException($"You are on '{current}', which is not a {kind.CommandName()} branch. Name the {kind.CommandName()} to use, for example 'capstan flow {kind.CommandName()} finish NAME'.");
            return current;
        }
        var full = name.StartsWith(prefix, StringComparison.Ordinal) ? name : prefix + name;
        if (repository.Branches[full] is not null) return full;
        var matches = List(kind).Where(b => b.ShortName.StartsWith(name, StringComparison.Ordinal)).ToList();
        if (matches.Count == 1) return matches[0].Name;
        var known = List(kind).Select(b => b.ShortName).ToList();
        if (matches.Count > 1)
            throw new FlowException($"'{name}' matches several {kind.CommandName()} branches: {string.Join(", ", matches.Select(m => m.ShortName))}. Give the full name.");
        throw new FlowException($"There is no {kind.CommandName()} branch '{full}'." + (known.Count == 0 ? $" There are no {kind.CommandName()} branches; start one with 'capstan flow {kind.CommandName()} start NAME'." : $" Known: {string.Join(", ", known)}."));
    }

    private int CountAhead(string baseBranch, string branch)
    {
        var filter = new CommitFilter { IncludeReachableFrom = repository.Branches[branch].Tip, ExcludeReachableFrom = repository.Branches[baseBranch].Tip };
        return repository.Commits.QueryBy(filter).Take(2).Count();
    }

    private Commit ResolveSupportBase(string baseRef)
    {
        var c = Configuration;
        var target = (repository.Lookup(baseRef) ?? repository.Lookup("refs/tags/" + baseRef) ?? repository.Lookup("refs/tags/" + c.VersionTagPrefix + baseRef))?.Peel<Commit>()
                     ?? throw new FlowException($"'{baseRef}' is not a tag, branch or commit. Start the support branch from a release tag, for example '{c.VersionTagPrefix}1.0.0'.");
        var main = repository.Branches[c.MainBranch]?.Tip;
        if (main is null || repository.ObjectDatabase.FindMergeBase(target, main)?.Sha != target.Sha)
            throw new FlowException($"'{baseRef}' is not on '{c.MainBranch}'. Support branches start from a released commit of '{c.MainBranch}'.");
        return target;
    }

    private void RequireClean()
    {
        if (!IsClean())
            throw new FlowException("The work tree has uncommitted changes. Commit or stash them ('git stash'), then run the command again.");
    }

    private bool IsClean() => !repository.RetrieveStatus(new StatusOptions { IncludeUntracked = false, ExcludeSubmodules = true }).IsDirty;

    private void RequireNoPendingFinish()
    {
        if (PendingFinish is { } p)
            throw new FlowException($"A {p.Command} of '{p.Branch}' is still in progress. Run 'capstan flow continue' after resolving its conflicts, or 'capstan flow abort'.");
    }

    private void RequireNotShallow()
    {
        if (repository.Info.IsShallow)
            throw new FlowException("This is a shallow clone, so merges could lose history. Run 'git fetch --unshallow' first.");
    }

    private void RequireNotBehindRemote(string branch)
    {
        var c = Configuration;
        var remote = repository.Refs[$"refs/remotes/{c.Origin}/{branch}"]?.ResolveToDirectReference()?.Target?.Peel<Commit>();
        var local = repository.Branches[branch]?.Tip;
        if (remote is null || local is null || remote.Sha == local.Sha) return;
        if (repository.ObjectDatabase.FindMergeBase(remote, local)?.Sha == remote.Sha) return;
        var behind = repository.ObjectDatabase.FindMergeBase(remote, local)?.Sha == local.Sha;
        throw new FlowException(behind
            ? $"'{branch}' is behind '{c.Origin}/{branch}'. Update it first ('git checkout {branch} && git merge --ff-only {c.Origin}/{branch}')."
            : $"'{branch}' and '{c.Origin}/{branch}' have diverged. Merge or rebase them first, then run the command again.");
    }

    private string? FirstExisting(params string[] names) =>
        names.FirstOrDefault(n => repository.Branches[n] is not null) ?? names.FirstOrDefault(n => repository.Branches["origin/" + n] is not null);

    private static string Prefix(string? value, string fallback) => value switch
    {
        null => fallback,
        "-" => "",
        _ => value,
    };

    private string CurrentBranchName() => repository.Info.IsHeadDetached ? repository.Head.Tip.Sha[..7] : repository.Head.FriendlyName;

    [GeneratedRegex(@"^[vV]?\d+(\.\d+){0,3}(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")]
    private static partial Regex VersionName();

    private static bool ValidBranchName(string name) =>
        Regex.IsMatch(name, @"^[A-Za-z0-9._/-]+$") && !name.Contains("..", StringComparison.Ordinal) && !name.EndsWith('/') && !name.StartsWith('/') && !name.EndsWith(".lock", StringComparison.Ordinal);
}
