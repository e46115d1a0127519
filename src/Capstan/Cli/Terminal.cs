using Capstan.Core.Commands;
using Capstan.Web.Api;
using Spectre.Console;

namespace Capstan.Cli;

/// <summary>
/// Prints chat messages in the terminal: colours on a TTY, plain text when piped or NO_COLOR is set. What others wrote
/// passes through <see cref="VisibleText"/>, so an escape sequence in a message is shown, never obeyed.
/// </summary>
public static class Terminal
{
    public static readonly bool Colour = !Console.IsOutputRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));

    private static readonly IAnsiConsole Out = AnsiConsole.Create(new AnsiConsoleSettings
    {
        Ansi = Colour ? AnsiSupport.Detect : AnsiSupport.No,
        ColorSystem = Colour ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        Out = new AnsiConsoleOutput(Console.Out),
    });

    /// <summary>Prints a reply's text and table.</summary>
    public static void Reply(MessageView m)
    {
        var text = VisibleText.Of(Attachment.AppendLinks(m.Table is null ? m.Text : (m.Text.Length > 0 ? m.Text + "\n" : "") + m.Table.ToText(), m.Attachments));
        if (!Colour) { Console.Out.WriteLine(text); return; }
        var colour = m.Tone switch { "success" => "green", "warning" => "yellow", "error" => "red", _ => "default" };
        Out.MarkupLine($"[{colour}]{Markup.Escape(text)}[/]");
    }

    /// <summary>Prints a message as a line of room history: time, author, text.</summary>
    public static void Line(MessageView m)
    {
        var time = m.At.ToLocalTime().ToString("HH:mm");
        var prefix = m.ThreadId is null ? "" : "  ↳ ";
        if (!Colour)
        {
            Console.Out.WriteLine(VisibleText.Of($"{prefix}[{time}] {m.Author}: {Attachment.AppendLinks(m.Table is null ? m.Text : m.Text + "\n" + m.Table.ToText(), m.Attachments)}"));
            return;
        }
        var who = m.AuthorKind == "capstan" ? "[blue]capstan[/]" : $"[bold]{Markup.Escape(VisibleText.Of(m.Author))}[/]";
        Out.Markup($"{prefix}[grey]{time}[/] {who}: ");
        Reply(m);
    }

    public static void Error(string message)
    {
        message = VisibleText.Of(message);
        if (!Colour || Console.IsErrorRedirected) { Console.Error.WriteLine(message); return; }
        Console.Error.WriteLine($"\u001b[31m{message}\u001b[0m");
    }
}
