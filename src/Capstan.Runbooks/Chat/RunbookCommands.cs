using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Jobs;
using Capstan.Core.Ledger;
using Capstan.Runbooks.Config;
using Capstan.Runbooks.Steps;

namespace Capstan.Runbooks.Chat;

/// <summary>The chat commands of diagnostics: <c>diag</c> (list or run a runbook as a job) and <c>check PRODUCT</c>.</summary>
public sealed class RunbookCommands : ICommandModule
{
    /// <summary>Rows of a sql result shown in chat; the job page keeps them all.</summary>
    public const int ChatRows = 20;

    private static RunbookBook Book(ConfigSnapshot config) => config.Find<RunbookBook>() ?? RunbookBook.Empty;

    private static readonly Argument<string> Runbook = new("runbook", ArgumentKind.Named("runbook", ctx => Book(ctx.Config).Runbooks.Keys.ToList()));
    private static readonly Argument<string> Parameters = new("parameters", ArgumentKind.Text);
    private static readonly Argument<string> Product = new("product", ArgumentKind.Named("product", ctx => Book(ctx.Config).Products.Keys.ToList()));

    public void Register(CommandRegistry registry)
    {
        registry.Add(new CommandSpec("diag", "Diagnostics", "List the diagnostics runbooks, or run one as a job")
            .Optional(Runbook, "a runbook from runbooks/ in the config repo")
            .Rest(Parameters, false, "the runbook's parameters as key=value")
            .Needs(CoreCommands.ReadPermission)
            .Describe("Runbooks are files runbooks/NAME.yaml in the config repo: typed parameters and http, tcp, dns, sql (read-only) and script steps. The result comes back as a table; `job ID` shows the full output.")
            .Example("diag", "diag http-check url=http://127.0.0.1:8080/healthz")
            .Runs<Diagnostics, JobRunner>(Diag));
        registry.Add(new CommandSpec("check", "Diagnostics", "Check every service of a product at once: status, latency, detail")
            .Required(Product, "a product from products: in capstan.yaml")
            .Needs(CoreCommands.ReadPermission)
            .Example("check shop")
            .Runs<ProductCheck, Ledger>(Check));
    }

    private static async Task<CommandResult> Diag(CommandContext ctx, Diagnostics diagnostics, JobRunner runner)
    {
        var book = Book(ctx.Config);
        if (ctx.Find(Runbook) is not { } name)
        {
            if (book.Runbooks.Count == 0) return CommandResult.Info("There are no runbooks yet. Add runbooks/NAME.yaml to the config repo (docs/runbooks.md shows how).");
            return CommandResult.Info($"{book.Runbooks.Count} runbook(s); run one with `diag NAME key=value …`:",
                new Table(["runbook", "parameters", "steps", "what it does"], book.Runbooks.Values.Select(r => (IReadOnlyList<string>)[
                    r.Name,
                    string.Join(" ", r.Parameters.Select(p => p.Required ? p.Name + "=…" : $"[{p.Name}={p.Default ?? "…"}]")),
                    string.Join(", ", r.Steps.Select(s => $"{s.Name} ({s.Kind})")),
                    r.Description]).ToList()));
        }
        var runbook = book.Runbooks[name];
        var (parameters, problem) = Diagnostics.Bind(runbook, ctx.Find(Parameters));
        if (parameters is null) return CommandResult.Invalid(problem!);
        var outbox = ctx.Outbox;
        var reach = StepReach.For(runbook, ctx);
        var files = ctx.Config.Files;
        var title = $"diag {name}" + string.Concat(parameters.Select(p => $" {p.Key}={p.Value}"));
        var job = await runner.StartAsync(
            new JobRequest("diag", title.Length > 120 ? title[..119] + "…" : title, ctx.Actor.LedgerName, ctx.Room, ctx.Thread, runbook.Timeout),
            job => diagnostics.RunAsync(runbook, parameters, files, job, (step, table) =>
                outbox.PostAsync(ctx.Room, ctx.Thread, new Reply(
                    $"{step}: {table.Rows.Count} row(s)" + (table.Rows.Count > ChatRows ? $", first {ChatRows} shown (all of them: {runner.PageFor(job.Job.Id)})" : ""),
                    ReplyTone.Info, Compact(table))), reach),
            ctx.Cancellation);
        return CommandResult.Info($"Running runbook {name} as job {job.Id} ({runbook.Steps.Count} step(s), timeout {DurationText.Format(runbook.Timeout)}); progress and the result follow here. `cancel {job.Id}` stops it.")
            with
        { Following = true };
    }

    private static async Task<CommandResult> Check(CommandContext ctx, ProductCheck check, Ledger ledger)
    {
        var product = Book(ctx.Config).Products[ctx.Get(Product)];
        var (results, table) = await check.RunAsync(product, ctx.Config.Files, ctx.Cancellation);
        var down = results.Count(r => !r.Ok);
        await ledger.AppendAsync("product.check", ctx.Actor.LedgerName, ctx.Room, ctx.Thread,
            new { product = product.Name, services = results.Count, down = results.Where(r => !r.Ok).Select(r => r.Name).ToList() });
        var text = down == 0
            ? $"{product.Name}: all {results.Count} service(s) up."
            : $"{product.Name}: {down} of {results.Count} service(s) DOWN ({string.Join(", ", results.Where(r => !r.Ok).Select(r => r.Name))}).";
        return new CommandResult(CommandOutcome.Succeeded, [new Reply(text, down == 0 ? ReplyTone.Success : ReplyTone.Error, table)]);
    }

    private static Table Compact(Table t) => t.Rows.Count <= ChatRows ? t : new Table(t.Columns, t.Rows.Take(ChatRows).ToList());
}
