using System.CommandLine;
using System.Text.Json;
using Capstan.Flow;
using Capstan.Flow.Changelog;
using Capstan.Flow.GitFlow;
using Capstan.Flow.Versioning;

namespace Capstan.Cli;

/// <summary>Builds the flow, version and changelog verbs of the capstan executable.</summary>
public static class FlowVerbs
{
    private sealed class UsageException(string message) : Exception(message);

    /// <summary>Whether <paramref name="verb"/> is one of the top-level commands this class builds.</summary>
    public static bool Handles(string verb) => verb is "flow" or "version" or "changelog";

    /// <summary>The top-level commands: flow, version and changelog.</summary>
    public static IEnumerable<Command> Create() => [FlowCommand(), VersionCommand(), ChangelogCommand()];

    /// <summary>
    /// Only the top-level command <paramref name="name"/> (see <see cref="Handles"/>), for a process that runs just that
    /// one; for 'flow KIND ...' (<paramref name="next"/> names a kind) only that kind's sub-commands, which is all that
    /// parsing, help and errors below 'flow KIND' use.
    /// </summary>
    public static Command Create(string name, string? next = null)
    {
        switch (name)
        {
            case "flow":
                foreach (var kind in Enum.GetValues<FlowBranchKind>())
                    if (kind.CommandName() == next) return new Command("flow", FlowDescription) { KindCommand(kind) };
                return FlowCommand();
            case "version":
                return VersionCommand();
            case "changelog":
                return ChangelogCommand();
            default:
                throw new ArgumentOutOfRangeException(nameof(name), name, "not a flow verb");
        }
    }

    /// <summary>What `capstan --help` says Capstan is.</summary>
    public const string CapstanDescription = "Capstan — conversation-driven DevOps: ChatOps, GitOps and GitFlow in one server.";

    /// <summary>
    /// Runs one flow, version or changelog command line (<paramref name="args"/>[0] is the verb, see <see cref="Handles"/>)
    /// with only that verb built, as the capstan executable does: 2 for usage errors, 130 when <paramref name="stop"/>
    /// was cancelled (SIGINT or SIGTERM).
    /// </summary>
    public static int Run(string[] args, CancellationToken stop)
    {
        var root = new RootCommand(CapstanDescription) { Create(args[0], args.Length > 1 ? args[1] : null) };
        root.HelpName = "capstan";
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine($"Run `capstan {string.Join(' ', args.TakeWhile(a => !a.StartsWith('-')).Take(2))} --help` for usage.".Replace("  ", " ", StringComparison.Ordinal));
            return 2;
        }
        try
        {
            // Synchronous all the way when the verb is (version, changelog, a finish without hooks or remotes): no thread-pool hop.
            return parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }, stop).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return 130;
        }
    }

    /// <summary>Parses and runs <paramref name="args"/> against <paramref name="root"/>, returning 2 for usage errors as Capstan's CLI promises.</summary>
    public static int Invoke(RootCommand root, IReadOnlyList<string> args, TextWriter? output = null, TextWriter? error = null)
    {
        var parse = root.Parse(args);
        var configuration = new InvocationConfiguration { Output = output ?? Console.Out, Error = error ?? Console.Error };
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) configuration.Error.WriteLine(e.Message);
            configuration.Error.WriteLine($"Run '{root.Name} {string.Join(' ', args.TakeWhile(a => !a.StartsWith('-')).Take(3))} --help' for usage.");
            return 2;
        }
        return parse.Invoke(configuration);
    }

    private static Option<string> RepoOption() => new("--repo") { Description = "The repository folder (default: the current folder)", DefaultValueFactory = _ => "." };

    private const string FlowDescription = "GitFlow branches compatible with git-flow AVH: init, start, finish, publish, track, delete, list, continue, abort";

    private static Command FlowCommand()
    {
        var flow = new Command("flow", FlowDescription);
        flow.Add(InitCommand());
        foreach (var kind in Enum.GetValues<FlowBranchKind>()) flow.Add(KindCommand(kind));

        flow.Add(RepoCommand("continue", "Finish a release/hotfix/feature finish that stopped on a conflict, after you resolved and staged it",
            async (r, o, ct) => o.Write((await r.ContinueAsync(ct)).ToText())));
        flow.Add(RepoCommand("abort", "Undo a finish that stopped on a conflict: every branch, tag and HEAD go back to where they were",
            async (r, o, ct) => o.Write((await r.AbortAsync(ct)).ToText())));
        flow.Add(RepoCommand("status", "Show whether a finish is waiting for 'flow continue' or 'flow abort'", (r, o, _) =>
        {
            var pending = r.PendingFinish;
            o.WriteLine(pending is null
                ? "No flow operation is in progress."
                : $"A {pending.Command} of '{pending.Branch}' stopped at: {pending.Steps.First(s => !s.Done).Describe()}. Resolve, then run 'capstan flow continue', or 'capstan flow abort'.");
            return Task.CompletedTask;
        }));
        return flow;
    }

    /// <summary>A flow sub-command that only needs --repo and works on the opened repository.</summary>
    private static Command RepoCommand(string name, string description, Func<GitFlowRepository, TextWriter, CancellationToken, Task> body)
    {
        var repo = RepoOption();
        var command = new Command(name, description) { repo };
        command.SetAction((p, ct) => Run(p, async o =>
        {
            using var r = GitFlowRepository.Open(p.GetValue(repo)!);
            await body(r, o, ct);
        }));
        return command;
    }

    private static Command InitCommand()
    {
        var repo = RepoOption();
        var defaults = new Option<bool>("--defaults", "-d") { Description = "Use the defaults (Capstan never prompts, so this is always on)" };
        var force = new Option<bool>("--force", "-f") { Description = "Set git-flow up again even if it already is" };
        var main = new Option<string?>("--main") { Description = "The production branch (default: main or master)" };
        var develop = new Option<string?>("--develop") { Description = "The development branch (default: develop)" };
        var feature = new Option<string?>("--feature", "-p") { Description = "Feature branch prefix (default feature/; '-' for none)" };
        var bugfix = new Option<string?>("--bugfix", "-b") { Description = "Bugfix branch prefix (default bugfix/)" };
        var release = new Option<string?>("--release", "-r") { Description = "Release branch prefix (default release/)" };
        var hotfix = new Option<string?>("--hotfix", "-x") { Description = "Hotfix branch prefix (default hotfix/)" };
        var support = new Option<string?>("--support", "-s") { Description = "Support branch prefix (default support/)" };
        var tag = new Option<string?>("--tag", "-t") { Description = "Version tag prefix (default none, e.g. v)" };
        var init = new Command("init", "Set up git-flow in a repository (the gitflow.* config keys AVH uses, and a develop branch)")
            { repo, defaults, force, main, develop, feature, bugfix, release, hotfix, support, tag };
        init.SetAction((p, ct) => Run(p, async o =>
        {
            using var r = GitFlowRepository.Open(p.GetValue(repo)!);
            var result = await r.InitAsync(new InitOptions
            {
                Force = p.GetValue(force),
                MainBranch = p.GetValue(main),
                DevelopBranch = p.GetValue(develop),
                FeaturePrefix = p.GetValue(feature),
                BugfixPrefix = p.GetValue(bugfix),
                ReleasePrefix = p.GetValue(release),
                HotfixPrefix = p.GetValue(hotfix),
                SupportPrefix = p.GetValue(support),
                VersionTagPrefix = p.GetValue(tag),
            }, ct);
            o.Write(result.ToText());
        }));
        return init;
    }

    private static Command KindCommand(FlowBranchKind kind)
    {
        var name = kind.CommandName();
        var noun = kind.IsVersioned() ? "version" : "name";
        var command = new Command(name, $"Manage {name} branches");

        var listRepo = RepoOption();
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Show the tip and base of each branch" };
        var list = new Command("list", $"List {name} branches") { listRepo, verbose };
        list.SetAction((p, ct) => Run(p, o =>
        {
            using var r = GitFlowRepository.Open(p.GetValue(listRepo)!);
            var branches = r.List(kind);
            if (branches.Count == 0) o.WriteLine($"No {name} branches exist. Start one with 'capstan flow {name} start {(kind.IsVersioned() ? "1.2.0" : "NAME")}'.");
            foreach (var b in branches)
                o.WriteLine((b.IsCurrent ? "* " : "  ") + b.ShortName + (p.GetValue(verbose) ? $"  {b.TipSha[..7]}" + (b.Base is null ? "" : $" (based on {b.Base})") : ""));
            return Task.CompletedTask;
        }));
        command.Add(list);

        var startRepo = RepoOption();
        var startName = new Argument<string>(noun) { Description = kind.IsVersioned() ? "The version, e.g. 1.2.0" : "The branch name without prefix" };
        var startBase = new Argument<string?>("base") { Description = "What to start from (default: develop, or main for hotfixes)", Arity = kind == FlowBranchKind.Support ? ArgumentArity.ExactlyOne : ArgumentArity.ZeroOrOne };
        var fetch = new Option<bool>("--fetch", "-F") { Description = "Fetch the base from origin first" };
        var start = new Command("start", $"Start a {name} branch") { startRepo, startName, startBase, fetch };
        start.SetAction((p, ct) => Run(p, async o =>
        {
            using var r = GitFlowRepository.Open(p.GetValue(startRepo)!);
            o.Write((await r.StartAsync(kind, p.GetValue(startName)!, p.GetValue(startBase), new StartOptions { Fetch = p.GetValue(fetch) }, ct)).ToText());
        }));
        command.Add(start);

        if (kind != FlowBranchKind.Support) command.Add(FinishCommand(kind, noun));

        var pubRepo = RepoOption();
        var pubName = new Argument<string?>(noun) { Arity = ArgumentArity.ZeroOrOne, Description = "Default: the current branch" };
        var publish = new Command("publish", $"Push a {name} branch to origin and track it") { pubRepo, pubName };
        publish.SetAction((p, ct) => Run(p, async o =>
        {
            using var r = GitFlowRepository.Open(p.GetValue(pubRepo)!);
            o.Write((await r.PublishAsync(kind, p.GetValue(pubName), ct)).ToText());
        }));
        command.Add(publish);

        var trackRepo = RepoOption();
        var trackName = new Argument<string>(noun);
        var track = new Command("track", $"Create a local {name} branch that tracks the one on origin") { trackRepo, trackName };
        track.SetAction((p, ct) => Run(p, async o =>
        {
            using var r = GitFlowRepository.Open(p.GetValue(trackRepo)!);
            o.Write((await r.TrackAsync(kind, p.GetValue(trackName)!, ct)).ToText());
        }));
        command.Add(track);

        var delRepo = RepoOption();
        var delName = new Argument<string?>(noun) { Arity = ArgumentArity.ZeroOrOne, Description = "Default: the current branch" };
        var delForce = new Option<bool>("--force", "-f") { Description = "Delete even if not merged" };
        var delRemote = new Option<bool>("--remote", "-r") { Description = "Delete the branch on origin too" };
        var delete = new Command("delete", $"Delete a {name} branch") { delRepo, delName, delForce, delRemote };
        delete.SetAction((p, ct) => Run(p, async o =>
        {
            using var r = GitFlowRepository.Open(p.GetValue(delRepo)!);
            o.Write((await r.DeleteAsync(kind, p.GetValue(delName), new DeleteOptions { Force = p.GetValue(delForce), Remote = p.GetValue(delRemote) }, ct)).ToText());
        }));
        command.Add(delete);

        var defaultRepo = RepoOption();
        command.Add(defaultRepo);
        command.SetAction((p, ct) => Run(p, o =>
        {
            using var r = GitFlowRepository.Open(p.GetValue(defaultRepo)!);
            foreach (var b in r.List(kind)) o.WriteLine((b.IsCurrent ? "* " : "  ") + b.ShortName);
            return Task.CompletedTask;
        }));
        return command;
    }

    private static Command FinishCommand(FlowBranchKind kind, string noun)
    {
        var versioned = kind is FlowBranchKind.Release or FlowBranchKind.Hotfix;
        var repo = RepoOption();
        var name = new Argument<string?>(noun) { Arity = ArgumentArity.ZeroOrOne, Description = "Default: the current branch" };
        var fetch = new Option<bool>("--fetch", "-F") { Description = "Fetch from origin first" };
        var keep = new Option<bool>("--keep", "-k") { Description = "Keep the branch after finishing" };
        var keepRemote = new Option<bool>("--keepremote") { Description = "Keep the branch on origin" };
        var keepLocal = new Option<bool>("--keeplocal") { Description = "Keep the local branch" };
        var forceDelete = new Option<bool>("--force_delete", "-D") { Description = "Delete the branch even if git thinks it is unmerged" };
        var squash = new Option<bool>("--squash", "-S") { Description = "Squash the branch into one commit" };
        var push = versioned
            ? new Option<bool>("--push", "-p") { Description = "Push develop, main and the tags to origin" }
            : new Option<bool>("--push") { Description = "Push the base branch to origin" };
        var command = new Command("finish", $"Finish a {kind.CommandName()} branch the way git-flow AVH does") { repo, name, fetch, keep, keepRemote, keepLocal, forceDelete, squash, push };
        var message = new Option<string?>("--message", "-m") { Description = "Tag message (default: the tag name; no editor is opened)" };
        var noTag = new Option<bool>("--notag", "-n") { Description = "Do not tag" };
        var noBackMerge = new Option<bool>("--nobackmerge", "-b") { Description = "Merge the branch, not the tag, back into develop" };
        var noDevelopMerge = new Option<bool>("--nodevelopmerge") { Description = "Do not merge back into develop" };
        var tagName = new Option<string?>("--tagname", "-T") { Description = "Tag name instead of the version" };
        var noFf = new Option<bool>("--no-ff") { Description = "Always make a merge commit" };
        if (versioned)
        {
            command.Add(message);
            command.Add(noTag);
            command.Add(noBackMerge);
            command.Add(tagName);
            if (kind == FlowBranchKind.Release) command.Add(noDevelopMerge);
        }
        else
        {
            command.Add(noFf);
        }
        command.SetAction((p, ct) => Run(p, async o =>
        {
            using var r = GitFlowRepository.Open(p.GetValue(repo)!);
            var options = new FinishOptions
            {
                Fetch = p.GetValue(fetch),
                Keep = p.GetValue(keep),
                KeepRemote = p.GetValue(keepRemote),
                KeepLocal = p.GetValue(keepLocal),
                ForceDelete = p.GetValue(forceDelete),
                Squash = p.GetValue(squash),
                Push = p.GetValue(push),
                Message = versioned ? p.GetValue(message) : null,
                NoTag = versioned && p.GetValue(noTag),
                NoBackMerge = versioned && p.GetValue(noBackMerge),
                TagName = versioned ? p.GetValue(tagName) : null,
                NoDevelopMerge = kind == FlowBranchKind.Release && p.GetValue(noDevelopMerge),
                NoFastForward = !versioned && p.GetValue(noFf),
            };
            o.Write((await r.FinishAsync(kind, p.GetValue(name), options, ct)).ToText());
        }));
        return command;
    }

    private static Command VersionCommand()
    {
        var repo = RepoOption();
        var branch = new Option<string?>("--branch") { Description = "The branch to compute the version for (default: the checked-out branch)" };
        var output = new Option<string>("--output") { Description = "json (GitVersion's format) or text", DefaultValueFactory = _ => "json" };
        output.AcceptOnlyFromAmong("json", "text");
        var show = new Option<string?>("--show-variable") { Description = "Print only this variable, e.g. FullSemVer" };
        var noCache = new Option<bool>("--no-cache") { Description = "Compute without reading or writing .git/capstan-version-cache" };
        var version = new Command("version", "Print the version of a branch as GitVersion 6 computes it for the GitFlow workflow") { repo, branch, output, show, noCache };
        version.SetAction((p, ct) => Run(p, o =>
        {
            var variable = p.GetValue(show);
            if (variable is not null && !VersionVariables.Names.Contains(variable))
                throw new UsageException($"There is no variable '{variable}'. Known variables: {string.Join(", ", VersionVariables.Names)}.");
            // On the calling thread: a cache hit is a few file reads, and a hop to the thread pool would cost more than that.
            ct.ThrowIfCancellationRequested();
            var v = VersionCalculator.Calculate(p.GetValue(repo)!, p.GetValue(branch), !p.GetValue(noCache));
            if (variable is not null)
            {
                v.TryGet(variable, out var value);
                o.WriteLine(value);
            }
            else
            {
                o.WriteLine(p.GetValue(output) == "text" ? v.ToText().TrimEnd() : v.ToJson());
            }
            return Task.CompletedTask;
        }));

        var explainRepo = RepoOption();
        var explainBranch = new Option<string?>("--branch") { Description = "The branch to explain (default: the checked-out branch)" };
        var explain = new Command("explain", "Show which tag, branch or merge decided the version, and every candidate considered") { explainRepo, explainBranch };
        explain.SetAction((p, ct) => Run(p, async o =>
            o.Write((await VersionCalculator.ExplainAsync(p.GetValue(explainRepo)!, p.GetValue(explainBranch), ct)).ToText())));
        version.Add(explain);
        return version;
    }

    /// <summary>
    /// Answers 'capstan version' from the cache without building the command line, when the arguments are only the
    /// plain forms of its options (--repo DIR, --branch NAME, --output json|text, --show-variable NAME, each at most
    /// once) and the cache has the version: the output is what the command would print. Anything else — help, explain,
    /// --no-cache, other spellings, an unknown variable, a cache miss — returns false and the command runs as usual.
    /// </summary>
    public static bool TryPrintCachedVersion(IReadOnlyList<string> args, TextWriter output)
    {
        if (args.Count == 0 || args[0] != "version" || args.Count % 2 == 0) return false;
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i < args.Count; i += 2)
        {
            var (name, value) = (args[i], args[i + 1]);
            if (name is not ("--repo" or "--branch" or "--output" or "--show-variable") || !values.TryAdd(name, value)) return false;
            // Values the parser could read otherwise: an option, a response file, the explain sub-command.
            if (value.Length == 0 || value[0] is '-' or '@' || value == "explain") return false;
        }
        var format = values.GetValueOrDefault("--output", "json");
        var variable = values.GetValueOrDefault("--show-variable");
        if (format is not ("json" or "text") || (variable is not null && !IsVariable(variable))) return false;
        if (VersionCalculator.TryCached(values.GetValueOrDefault("--repo", "."), values.GetValueOrDefault("--branch")) is not { } cached) return false;
        if (variable is not null)
        {
            cached.Variables.TryGet(variable, out var value);
            output.WriteLine(value);
        }
        else
        {
            output.WriteLine(format == "text" ? cached.Variables.ToText().TrimEnd() : cached.Json);
        }
        return true;
    }

    private static bool IsVariable(string name)
    {
        foreach (var n in VersionVariables.Names)
            if (n == name) return true;
        return false;
    }

    private static Command ChangelogCommand()
    {
        var repo = RepoOption();
        var range = new Argument<string?>("range") { Arity = ArgumentArity.ZeroOrOne, Description = "FROM..TO (versions, tags, branches or commits); default: last version tag..HEAD" };
        var output = new Option<string>("--output") { Description = "markdown or json", DefaultValueFactory = _ => "markdown" };
        output.AcceptOnlyFromAmong("markdown", "json");
        var changelog = new Command("changelog", "List the changes between two versions, grouped by Conventional Commit type, with authors and links") { repo, range, output };
        changelog.SetAction((p, ct) => Run(p, async o =>
        {
            var (from, to) = Changelog.ParseRange(p.GetValue(range));
            var model = await Changelog.BuildAsync(p.GetValue(repo)!, from, to, ct);
            o.Write(p.GetValue(output) == "json"
                ? JsonSerializer.Serialize(model, ChangelogJson.Default.ChangelogModel) + Environment.NewLine
                : MarkdownChangelog.Render(model));
        }));
        return changelog;
    }

    private static async Task<int> Run(ParseResult parse, Func<TextWriter, Task> body)
    {
        var output = parse.InvocationConfiguration.Output;
        var error = parse.InvocationConfiguration.Error;
        try
        {
            await body(output);
            return 0;
        }
        catch (UsageException e)
        {
            await error.WriteLineAsync(e.Message);
            return 2;
        }
        catch (FlowException e)
        {
            await error.WriteLineAsync(e.Message);
            return 1;
        }
        catch (LibGit2Sharp.LibGit2SharpException e)
        {
            await error.WriteLineAsync($"Git refused the operation: {e.Message} Check the repository state with 'git status' and try again.");
            return 1;
        }
    }
}
