using System.Globalization;
using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Jobs;
using Capstan.Core.Ledger;
using Capstan.Runbooks.Config;
using Capstan.Core.Secrets;
using Capstan.Runbooks.Steps;
using Microsoft.Extensions.Hosting;

namespace Capstan.Runbooks.Chat;

/// <summary>
/// Keeps the registry in step with commands/*.yaml: registers each custom command at start and after every
/// accepted commit, replaces changed ones and removes deleted ones. A custom command never replaces a
/// built-in one; such a clash is recorded in the ledger and listed in <see cref="Clashes"/>.
/// </summary>
public sealed class CustomCommands(ConfigState config, CommandRegistry registry, Ledger ledger) : IHostedService
{
    public const string Group = "Custom";
    private readonly Lock _gate = new();
    private HashSet<string> _mine = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Custom command names that clash with a built-in command and were not registered.</summary>
    public IReadOnlyList<string> Clashes { get; private set; } = [];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        config.Changed += Sync;
        Sync(config.Current);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        config.Changed -= Sync;
        return Task.CompletedTask;
    }

    public void Sync(ConfigSnapshot snapshot)
    {
        var wanted = (snapshot.Find<RunbookBook>() ?? RunbookBook.Empty).Commands;
        lock (_gate)
        {
            foreach (var gone in _mine.Where(n => !wanted.ContainsKey(n)).ToList()) registry.Remove(gone);
            var mine = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var clashes = new List<string>();
            foreach (var command in wanted.Values)
            {
                if (registry.Find(command.Name) is { } existing && !_mine.Contains(existing.Id))
                {
                    clashes.Add(command.Name);
                    continue;
                }
                registry.Remove(command.Name);
                registry.Add(Spec(command));
                mine.Add(command.Name);
            }
            _mine = mine;
            Clashes = clashes;
            if (clashes.Count > 0)
                _ = ledger.AppendAsync("custom.command.clash", Core.Conversation.Outbox.CapstanAuthor, null, null,
                    new { commit = snapshot.ShortCommit, commands = clashes, summary = $"not registered: {string.Join(", ", clashes)} (a built-in command has that name)" });
        }
    }

    private static CommandSpec Spec(CustomCommand c)
    {
        // The arguments come from commands/NAME.yaml, so they are declared here, per command, and read back as text.
        var arguments = new Dictionary<string, Argument<string>>(StringComparer.OrdinalIgnoreCase);
        var spec = new CommandSpec(c.Name, Group, c.Summary)
            .Needs(c.Permission)
            .Effects(c.Effect switch { CustomEffect.Read => SideEffect.Read, CustomEffect.Destructive => SideEffect.Destructive, _ => SideEffect.Change })
            .Confirm(c.Confirm ? ConfirmationPolicy.Always : ConfirmationPolicy.Never)
            .Describe((c.Help.Length > 0 ? c.Help.TrimEnd() + "\n" : "") + $"A custom command from {c.File} in the config repo; it runs " + (c.Script is { } s ? $"the script {s.Path}" : $"the runbook {c.Runbook}") + " as a job.")
            .Example([.. c.Examples])
            .Runs<SecretStore, StepRunner, Diagnostics, JobRunner>((ctx, secrets, steps, diagnostics, runner) => RunAsync(ctx, c.Name, arguments, secrets, steps, diagnostics, runner));
        foreach (var a in c.Arguments)
        {
            var kind = a.Type switch
            {
                ParameterType.Int => ArgumentKind.Int.As(n => n.ToString(CultureInfo.InvariantCulture)),
                ParameterType.Enum => ArgumentKind.Enum([.. a.Values]),
                _ => ArgumentKind.Text,
            };
            var argument = arguments[a.Name] = new Argument<string>(a.Name, kind);
            var description = Diagnostics.Describe(a) + (a.Default is { } d ? $" (default {d})" : "");
            if (a.Required) spec.Required(argument, description);
            else spec.Optional(argument, description);
        }
        return spec;
    }

    private static async Task<CommandResult> RunAsync(CommandContext ctx, string name, IReadOnlyDictionary<string, Argument<string>> arguments,
        SecretStore secrets, StepRunner steps, Diagnostics diagnostics, JobRunner runner)
    {
        if ((ctx.Config.Find<RunbookBook>() ?? RunbookBook.Empty).Commands.GetValueOrDefault(name) is not { } command)
            return CommandResult.Invalid($"'{name}' was removed from the config repo.");
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var a in command.Arguments)
        {
            if (arguments.GetValueOrDefault(a.Name) is { } declared && ctx.Find(declared) is { } text)
            {
                if (Diagnostics.Check(a, text) is { } problem) return CommandResult.Invalid($"{a.Name}: {problem}. Usage: `{ctx.Command.Spec.Usage}`");
                values[a.Name] = text;
            }
            else if (a.Default is { } d) values[a.Name] = d;
        }
        var files = ctx.Config.Files;
        JobWork work;
        if (command.Script is { } script)
        {
            work = async job =>
            {
                var result = await steps.RunAsync(script, new Scope(values, secrets), files, job.Line, null, job.Cancellation);
                job.Cancellation.ThrowIfCancellationRequested();
                return result.Ok ? JobOutcome.Ok($"{name}: {result.Detail}") : JobOutcome.Fail($"{name}: {result.Detail}");
            };
        }
        else
        {
            var runbook = (ctx.Config.Find<RunbookBook>() ?? RunbookBook.Empty).Runbooks[command.Runbook!];
            var scope = new Scope(values, secrets);
            string text;
            try { text = string.Join(' ', command.With.Select(w => $"{w.Key}={scope.Resolve(w.Value)}")); }
            catch (StepProblem ex) { return CommandResult.Invalid(ex.Message); }
            var (parameters, problem) = Diagnostics.Bind(runbook, text);
            if (parameters is null) return CommandResult.Invalid($"{name} cannot run runbook {runbook.Name}: {problem}");
            var outbox = ctx.Outbox;
            var reach = StepReach.For(runbook, ctx);
            work = job => diagnostics.RunAsync(runbook, parameters, files, job, (step, table) =>
                outbox.PostAsync(ctx.Room, ctx.Thread, new Reply($"{step}: {table.Rows.Count} row(s)", ReplyTone.Info, table)), reach);
        }
        var title = name + string.Concat(values.Select(v => $" {v.Key}={v.Value}"));
        var started = await runner.StartAsync(
            new JobRequest("command", title.Length > 120 ? title[..119] + "…" : title, ctx.Actor.LedgerName, ctx.Room, ctx.Thread, command.Timeout), work, ctx.Cancellation);
        return CommandResult.Info($"Running {name} as job {started.Id}; the result follows here. `cancel {started.Id}` stops it.") with { Following = true };
    }
}
