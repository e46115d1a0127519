using LibGit2Sharp;

namespace Capstan.Flow.GitFlow;

/// <summary>Executes a finish plan step by step, saving its state after each step so it can be continued or aborted.</summary>
internal sealed class FinishRunner(Repository repository, FlowConfiguration configuration, FlowHooks hooks)
{
    private readonly BranchMerger merger = new(repository);
    private string GitDir => repository.Info.Path;
    private string WorkTree => repository.Info.WorkingDirectory;

    public async Task<FlowResult> RunAsync(FinishState state, CancellationToken cancellationToken)
    {
        state.Save(GitDir);
        foreach (var step in state.Steps)
        {
            if (step.Done) continue;
            cancellationToken.ThrowIfCancellationRequested();
            await ExecuteAsync(state, step, cancellationToken);
            step.Done = true;
            state.Save(GitDir);
        }
        FinishState.Delete(GitDir);
        return new FlowResult(state.Command, state.Actions, repository.Head.FriendlyName);
    }

    /// <summary>Commits the resolved merge of the step that stopped, then runs the remaining steps.</summary>
    public Task<FlowResult> ContinueAsync(FinishState state, CancellationToken cancellationToken)
    {
        var step = state.Steps.FirstOrDefault(s => !s.Done);
        if (step is { Action: "merge" } && merger.MergeInProgress)
        {
            if (repository.Head.FriendlyName != step.Into)
                throw new FlowException($"The merge in progress is on '{repository.Head.FriendlyName}', but the finish stopped while merging into '{step.Into}'. Check out '{step.Into}', or run 'capstan flow abort'.");
            var message = File.Exists(Path.Combine(GitDir, "MERGE_MSG")) ? File.ReadAllText(Path.Combine(GitDir, "MERGE_MSG")) : step.Message ?? "";
            merger.CommitMerge(step.Mode ?? "no-ff", message);
            step.Done = true;
            state.Save(GitDir);
        }
        else if (repository.Index.Conflicts.Any())
        {
            throw new FlowException($"Conflicts remain in {string.Join(", ", merger.ConflictedPaths())}. Resolve them and 'git add' the files, then run 'capstan flow continue'.");
        }
        return RunAsync(state, cancellationToken);
    }

    /// <summary>Puts every branch, tag and HEAD back as they were before the finish started.</summary>
    public FlowResult Abort(FinishState state)
    {
        var originalHead = state.OriginalHead;
        var headTarget = state.OriginalRefs.TryGetValue("refs/heads/" + originalHead, out var sha) && sha is not null ? sha : null;
        // Detach first: libgit2 refuses to move the checked-out branch.
        var anchor = headTarget ?? repository.Head.Tip.Sha;
        repository.Reset(ResetMode.Hard, repository.Lookup<Commit>(repository.Head.Tip.Sha));
        merger.ClearMergeHeads();
        Commands.Checkout(repository, repository.Lookup<Commit>(anchor), new CheckoutOptions { CheckoutModifiers = CheckoutModifiers.Force });
        foreach (var (name, original) in state.OriginalRefs)
        {
            var existing = repository.Refs[name];
            if (original is null)
            {
                if (existing is not null) repository.Refs.Remove(existing);
            }
            else
            {
                repository.Refs.Add(name, new ObjectId(original), "capstan flow abort", allowOverwrite: true);
            }
        }
        if (state.OriginalBase is not null)
            repository.Config.Set($"gitflow.branch.{state.Branch}.base", state.OriginalBase, ConfigurationLevel.Local);
        var branch = repository.Branches[originalHead];
        if (branch is not null)
            Commands.Checkout(repository, branch, new CheckoutOptions { CheckoutModifiers = CheckoutModifiers.Force });
        else
            Commands.Checkout(repository, repository.Lookup<Commit>(originalHead), new CheckoutOptions { CheckoutModifiers = CheckoutModifiers.Force });
        FinishState.Delete(GitDir);
        return new FlowResult(state.Command + " abort",
            [$"The {state.Command} of '{state.Branch}' was aborted; every branch and tag is back where it was before it started"],
            repository.Info.IsHeadDetached ? repository.Head.Tip.Sha[..7] : repository.Head.FriendlyName);
    }

    private async Task ExecuteAsync(FinishState state, FinishStep step, CancellationToken cancellationToken)
    {
        switch (step.Action)
        {
            case "merge":
                // Like AVH, a step that is already done does not even check out its branch.
                var skip = step.SkipIfMerged ?? step.Source!;
                if (IsMerged(skip, step.Into!)) return;
                merger.Checkout(step.Into!);
                var outcome = merger.Merge(step.Source!, step.Mode ?? "no-ff", step.Message ?? merger.MergeMessage(step.Source!, step.Into!));
                if (outcome == BranchMerger.Outcome.Conflicts)
                {
                    state.Save(GitDir);
                    var paths = merger.ConflictedPaths();
                    throw new FlowConflictException(
                        $"Merging '{Short(step.Source!)}' into '{step.Into}' stopped on conflicts in {string.Join(", ", paths)}. " +
                        "Resolve them and 'git add' the files, then run 'capstan flow continue' to finish " +
                        "(or 'capstan flow abort' to put every branch back as it was).", paths);
                }
                return;
            case "tag":
                if (repository.Tags[step.Source!] is not null) return;
                merger.Checkout(step.Into!);
                var signature = merger.Signature();
                repository.Tags.Add(step.Source!, repository.Head.Tip, signature, step.Message ?? step.Source!);
                return;
            case "post-hook":
                await hooks.RunPostAsync(step.Into!, "finish", step.Arguments ?? [], cancellationToken);
                return;
            case "push":
                await GitCli.RequireAsync(WorkTree, $"Pushing '{step.Source}' to '{configuration.Origin}' failed",
                    step.Source == "--tags" ? ["push", "--tags", configuration.Origin] : ["push", configuration.Origin, step.Source!], cancellationToken);
                return;
            case "delete-remote":
                if (repository.Refs[$"refs/remotes/{configuration.Origin}/{step.Source}"] is null) return;
                await GitCli.RequireAsync(WorkTree, $"Deleting '{step.Source}' on '{configuration.Origin}' failed",
                    ["push", configuration.Origin, ":refs/heads/" + step.Source], cancellationToken);
                return;
            case "delete-local":
                var branch = repository.Branches[step.Source!];
                if (branch is null) return;
                if (repository.Head.FriendlyName == step.Source) merger.Checkout(step.Into!);
                repository.Branches.Remove(branch);
                return;
            case "remove-config":
                var key = $"gitflow.branch.{step.Source}.base";
                if (repository.Config.Get<string>(key) is not null) repository.Config.Unset(key, ConfigurationLevel.Local);
                return;
            case "checkout":
                merger.Checkout(step.Into!);
                return;
            default:
                throw new FlowException($"The saved finish has an unknown step '{step.Action}'. Run 'capstan flow abort' to put everything back.");
        }
    }

    private bool IsMerged(string source, string into)
    {
        var s = merger.Resolve(source);
        var i = merger.Resolve(into);
        return repository.ObjectDatabase.FindMergeBase(s, i)?.Sha == s.Sha;
    }

    private static string Short(string reference) => reference.StartsWith("refs/tags/", StringComparison.Ordinal) ? reference["refs/tags/".Length..] : reference;
}
