using System.Text;

namespace Capstan.Core.Commands;

/// <summary>Writes the chat command reference (docs/commands.md) from the registry, so docs never drift from code.</summary>
public static class CommandReference
{
    public static string Markdown(CommandRegistry registry)
    {
        var sb = new StringBuilder();
        sb.Append("# Chat command reference\n\n");
        sb.Append("Generated from the command registry by `capstan docs commands` — do not edit by hand.\n\n");
        sb.Append("Every command works in any room (web chat, terminal, platform adapters), from `capstan say`, and from `POST /api/rooms/{room}/messages`. ");
        sb.Append("Arguments are typed; `KEYWORD VALUE` pairs (like `in ops`) and `name=value` can come in any order after the command; ");
        sb.Append("`--flag` switches options on. Quote values with spaces: `lock prod \"db migration\"`. ");
        sb.Append("Destructive commands answer with `confirm ID` (valid 2 minutes) before they run.\n\n");
        foreach (var group in registry.All.GroupBy(c => c.Group))
        {
            sb.Append("## ").Append(group.Key).Append("\n\n");
            foreach (var c in group)
            {
                sb.Append("### `").Append(c.Usage).Append("`\n\n").Append(c.Summary).Append(".\n\n");
                if (c.Details is not null) sb.Append(c.Details).Append("\n\n");
                sb.Append("- Permission: ").Append(c.Permission is null ? "none" : $"`{c.Permission}`")
                  .Append(c.EnvironmentArgument is not null ? " (scoped by environment)" : "").Append('\n');
                sb.Append("- Effect: ").Append(c.Effect.ToString().ToLowerInvariant()).Append(c.NeedsConfirmation ? ", asks for confirmation" : "").Append('\n');
                if (c.Aliases.Count > 0) sb.Append("- Aliases: ").Append(string.Join(", ", c.Aliases.Select(a => $"`{a}`"))).Append('\n');
                foreach (var a in c.Arguments)
                    sb.Append("- `").Append(a.Usage).Append("` — ").Append(a.Kind.Name).Append(a.Required ? ", required" : ", optional")
                      .Append(a.Description.Length > 0 ? ": " + a.Description : "").Append('\n');
                foreach (var f in c.Flags) sb.Append("- `--").Append(f.Name).Append("` — ").Append(f.Description).Append('\n');
                if (c.Examples.Count > 0) sb.Append("- Examples: ").Append(string.Join(", ", c.Examples.Select(e => $"`{e}`"))).Append('\n');
                sb.Append('\n');
            }
        }
        return sb.ToString().TrimEnd() + "\n";
    }
}
