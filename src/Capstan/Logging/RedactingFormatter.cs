using System.Globalization;
using Capstan.Core.Ledger;
using Serilog.Events;
using Serilog.Formatting;

namespace Capstan.Logging;

/// <summary>Formats a log line, then removes every secret the redactor knows from it: messages and exception text alike.</summary>
public sealed class RedactingFormatter(ITextFormatter inner) : ITextFormatter
{
    private volatile Redactor? _redactor;

    public Redactor? Redactor
    {
        get => _redactor;
        set => _redactor = value;
    }

    public void Format(LogEvent logEvent, TextWriter output)
    {
        using var line = new StringWriter(CultureInfo.InvariantCulture);
        inner.Format(logEvent, line);
        var text = line.ToString();
        output.Write(_redactor is { } r ? r.Redact(text) : text);
    }
}
