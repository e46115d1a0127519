namespace Capstan.Core.Commands;

/// <summary>How a command ended, from the asker's point of view.</summary>
public enum CommandOutcome
{
    /// <summary>The message was chat, not a command.</summary>
    NotACommand,
    Succeeded,
    /// <summary>Not run: the person lacks a permission, or a rule (lock, approval) stopped it.</summary>
    Refused,
    /// <summary>Ran and failed.</summary>
    Failed,
    /// <summary>Not understood: unknown command or wrong arguments.</summary>
    Invalid,
    /// <summary>Waiting for "confirm ID" or for another person's approval.</summary>
    Pending,
}

/// <summary>How a reply should look: plain, good news, bad news.</summary>
public enum ReplyTone { Info, Success, Warning, Error }

/// <summary>Rows and columns, shown as a table where the platform can and as aligned text elsewhere.</summary>
public sealed record Table(IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<string>> Rows)
{
    /// <summary>The same table with every cell passed through <paramref name="cell"/> (a redactor, say).</summary>
    public Table MapCells(Func<string, string> cell) =>
        new(Columns, Rows.Select(r => (IReadOnlyList<string>)r.Select(cell).ToList()).ToList());

    /// <summary>The table as fixed-width text.</summary>
    public string ToText()
    {
        var widths = Columns.Select((c, i) => Math.Max(c.Length, Rows.Count == 0 ? 0 : Rows.Max(r => i < r.Count ? r[i].Length : 0))).ToArray();
        var sb = new System.Text.StringBuilder();
        sb.AppendLine(string.Join("  ", Columns.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
        foreach (var r in Rows)
            sb.AppendLine(string.Join("  ", r.Select((c, i) => c.PadRight(i < widths.Length ? widths[i] : 0))).TrimEnd());
        return sb.ToString().TrimEnd();
    }
}

/// <summary>
/// A file that goes with a reply, such as a chart. <see cref="Link"/> is a path on Capstan's web server that
/// serves it (the web chat shows it inline; text-only platforms print the link); platform adapters that upload
/// files fetch the bytes through an <see cref="Conversation.IAttachmentSource"/> instead.
/// </summary>
public sealed record Attachment(string Name, string MediaType, string Link, string Title)
{
    /// <summary>Text followed by one "title: link" line per attachment.</summary>
    public static string AppendLinks(string text, IReadOnlyList<Attachment>? attachments) =>
        attachments is not { Count: > 0 } ? text : text + string.Concat(attachments.Select(a => $"\n{a.Title}: {a.Link}"));
}

/// <summary>
/// One message Capstan sends back. <paramref name="Actions"/> are the decisions it asks for (Approve / Deny, Confirm / Cancel): each runs a command
/// exactly as if the person clicking had typed it, under the same policy; platforms with buttons show them as buttons,
/// the others show the text, which always says what to type.
/// </summary>
public sealed record Reply(string Text, ReplyTone Tone = ReplyTone.Info, Table? Table = null, IReadOnlyList<Attachment>? Attachments = null, IReadOnlyList<ReplyAction>? Actions = null)
{
    /// <summary>Text, table and attachment links together, for platforms that only show text.</summary>
    public string PlainText => Attachment.AppendLinks((Table is null ? Text : (Text.Length > 0 ? Text + "\n" : "") + Table.ToText()), Attachments);
}

/// <summary>A button on a reply: its label, the command it runs as the person who clicks it, and whether it is the main or a dangerous choice.</summary>
public sealed record ReplyAction(string Label, string Command, ActionStyle Style = ActionStyle.Default);

/// <summary>How a button looks where the platform can show it (Slack's primary/danger).</summary>
public enum ActionStyle { Default, Primary, Danger }

/// <summary>What a handler returns: an outcome and the replies to post in the thread.</summary>
public sealed record CommandResult(CommandOutcome Outcome, IReadOnlyList<Reply> Replies)
{
    /// <summary>Work goes on after the reply: progress and a final message will follow in the thread.</summary>
    public bool Following { get; init; }

    public static CommandResult Ok(string text, Table? table = null) => new(CommandOutcome.Succeeded, [new Reply(text, ReplyTone.Success, table)]);
    public static CommandResult Info(string text, Table? table = null) => new(CommandOutcome.Succeeded, [new Reply(text, ReplyTone.Info, table)]);
    public static CommandResult Fail(string text) => new(CommandOutcome.Failed, [new Reply(text, ReplyTone.Error)]);
    public static CommandResult Refuse(string text) => new(CommandOutcome.Refused, [new Reply(text, ReplyTone.Warning)]);
    public static CommandResult Invalid(string text) => new(CommandOutcome.Invalid, [new Reply(text, ReplyTone.Error)]);
    /// <summary>A question back to the person (a confirmation, an approval request), with the choices as <paramref name="actions"/> where the platform has buttons.</summary>
    public static CommandResult Pending(string text, IReadOnlyList<ReplyAction>? actions = null) => new(CommandOutcome.Pending, [new Reply(text, ReplyTone.Info, Actions: actions)]);
}
