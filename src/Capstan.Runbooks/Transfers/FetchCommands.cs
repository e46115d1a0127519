using System.Globalization;
using Capstan.Core.Commands;
using Capstan.Core.Egress;
using Capstan.Core.Jobs;
using Capstan.Runbooks.Steps;

namespace Capstan.Runbooks.Transfers;

/// <summary>
/// The download commands: <c>fetch URL [sha256=HEX] [as NAME]</c> (a job) and <c>files</c>. The URL is typed by the
/// caller, so besides <c>deploy</c> fetching needs <c>reach-any</c>, and the download reaches only what egress allows.
/// </summary>
public sealed class FetchCommands : ICommandModule
{
    public const string Permission = "deploy";

    private static readonly Argument<string> Url = new("url", ArgumentKind.Text);
    private static readonly Argument<string> Sha256 = new("sha256", ArgumentKind.Text);
    private static readonly Argument<string> Name = new("name", ArgumentKind.Text);

    public void Register(CommandRegistry registry)
    {
        registry.Add(new CommandSpec("fetch", "Downloads", "Download a large file as a job: progress in chat, resumable, checksum-verified")
            .Required(Url, "an http:// or https:// address")
            .Optional(Sha256, "the expected SHA-256 (64 hex digits); a mismatch discards the file")
            .Keyword("as", Name, description: "the name to keep it under (default: the URL's last part)")
            .Needs(Permission)
            .Effects(SideEffect.Change)
            .Describe($"Needs '{EgressGuard.ReachAnyPermission}' too (the address is yours to choose); loopback and private addresses only where capstan.yaml's egress: allows them. Files land in the data folder's files/ and can serve as artifacts. A dropped connection or a restart resumes with HTTP Range; `cancel ID` stops it (the partial file is kept so the same fetch carries on).")
            .Example("fetch https://example.com/app-1.4.2.tar.gz sha256=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 as app-1.4.2.tar.gz")
            .Runs<Fetcher, RunbooksOptions, JobRunner>(Fetch));
        registry.Add(new CommandSpec("files", "Downloads", "List the files fetched so far: name, size, SHA-256, source")
            .Needs(CoreCommands.ReadPermission)
            .Example("files")
            .Runs<FetchedFiles>(Files));
    }

    private static async Task<CommandResult> Fetch(CommandContext ctx, Fetcher fetcher, RunbooksOptions options, JobRunner runner)
    {
        var text = ctx.Get(Url);
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            return CommandResult.Invalid($"'{text}' is not an http:// or https:// address.");
        var reach = ctx.Config.Policy.Check(ctx.Actor, EgressGuard.ReachAnyPermission, "fetch", null, ctx.Room);
        if (!reach.Allowed)
            return CommandResult.Refuse($"{reach.Reason} (fetch downloads from an address you type, so besides '{Permission}' it needs '{EgressGuard.ReachAnyPermission}'.)");
        var sha = ctx.Find(Sha256);
        if (sha is not null && !Fetcher.IsSha256(sha)) return CommandResult.Invalid($"sha256 must be 64 hex digits; '{sha}' is not.");
        var name = ctx.Find(Name) ?? Fetcher.ParseName(uri);
        if (!FetchedFiles.ValidName(name))
            return CommandResult.Invalid($"'{name}' cannot be a file name here: use letters, digits, '.', '-' and '_' (no folders, not starting with a dot), e.g. `as app-1.4.2.tar.gz`.");
        var plan = new FetchPlan(uri.ToString(), name, sha?.ToLowerInvariant(), ctx.Actor.LedgerName);
        var job = await runner.StartAsync(new JobRequest(Fetcher.Kind, $"fetch {name}", ctx.Actor.LedgerName, ctx.Room, ctx.Thread, options.DownloadTimeout, plan.ToJson()),
            j => fetcher.RunAsync(plan, j), ctx.Cancellation);
        return CommandResult.Info($"Fetching {uri} as {name} in job {job.Id} (limit {HttpProbe.Bytes(options.MaxDownloadBytes)}); progress follows here. `cancel {job.Id}` stops it.")
            with
        { Following = true };
    }

    private static Task<CommandResult> Files(CommandContext ctx, FetchedFiles files)
    {
        var list = files.List();
        if (list.Count == 0) return Task.FromResult(CommandResult.Info("No files fetched yet. `fetch URL [sha256=HEX] [as NAME]` downloads one."));
        return Task.FromResult(CommandResult.Info($"{list.Count} fetched file(s) in {files.Root}:",
            new Table(["name", "size", "sha256", "fetched (UTC)", "by", "from"], list.Select(f => (IReadOnlyList<string>)[
                f.Name, HttpProbe.Bytes(f.Size), f.Sha256[..16] + "…", f.FetchedAt.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture), f.By, f.Url]).ToList())));
    }
}
