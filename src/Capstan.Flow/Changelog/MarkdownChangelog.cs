using System.Text;

namespace Capstan.Flow.Changelog;

/// <summary>Renders a changelog as Markdown: a heading, breaking changes first, then one section per type.</summary>
public static class MarkdownChangelog
{
    public static string Render(ChangelogModel model, string? title = null)
    {
        var sb = new StringBuilder();
        sb.Append("## ").AppendLine(title ?? $"Changes from {model.From} to {model.To}");
        if (model.CompareLink is not null) sb.AppendLine().Append("[Full comparison](").Append(model.CompareLink).AppendLine(")");
        if (model.Count == 0)
        {
            sb.AppendLine().AppendLine("No changes.");
            return sb.ToString();
        }
        if (model.BreakingChanges.Count > 0)
        {
            sb.AppendLine().AppendLine("### ⚠ Breaking changes").AppendLine();
            foreach (var e in model.BreakingChanges) Line(sb, e, e.BreakingNote ?? e.Description);
        }
        foreach (var section in model.Sections)
        {
            sb.AppendLine().Append("### ").AppendLine(section.Title).AppendLine();
            foreach (var e in section.Entries) Line(sb, e, e.Description);
        }
        return sb.ToString();
    }

    private static void Line(StringBuilder sb, ChangelogEntry e, string text)
    {
        sb.Append("- ");
        if (e.Scope is not null) sb.Append("**").Append(e.Scope).Append(":** ");
        sb.Append(text).Append(" (");
        if (e.Link is not null) sb.Append('[').Append(e.ShortSha).Append("](").Append(e.Link).Append(')');
        else sb.Append(e.ShortSha);
        sb.Append(", ").Append(e.Author).AppendLine(")");
    }
}
