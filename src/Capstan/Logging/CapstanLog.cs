using Capstan.Core;
using Capstan.Core.Ledger;
using Capstan.Core.Logging;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;
using Serilog.Extensions.Logging;
using Serilog.Formatting.Display;

namespace Capstan.Logging;

/// <summary>
/// Capstan's log: standard error and DATA/logs/capstan-YYYYMMDD.log (a new file each day and at 10 MB, the newest 14
/// kept, readable by the owner only), both written through the redactor, at the levels <see cref="LogLevels"/> allows.
/// </summary>
public sealed class CapstanLog : IDisposable
{
    public const long FileSizeLimit = 10 * 1024 * 1024;
    public const int FilesKept = 14;
    private const string FileLine = "{Timestamp:yyyy-MM-dd HH:mm:ss.fff zzz} [{Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}";
    private const string ConsoleLine = "{Timestamp:HH:mm:ss} {Level:u3} {SourceContext}: {Message:lj}{NewLine}{Exception}";

    private readonly Serilog.Core.Logger _serilog;
    private readonly RedactingFormatter _file;
    private readonly RedactingFormatter _console;

    private CapstanLog(Serilog.Core.Logger serilog, RedactingFormatter file, RedactingFormatter console, LogLevels levels, string folder)
    {
        _serilog = serilog;
        _file = file;
        _console = console;
        Levels = levels;
        Folder = folder;
        Factory = LoggerFactory.Create(Configure);
    }

    public LogLevels Levels { get; }

    /// <summary>DATA/logs.</summary>
    public string Folder { get; }

    /// <summary>Loggers for what is built outside dependency injection (the node's ledger, reloader, jobs, feed).</summary>
    public ILoggerFactory Factory { get; }

    /// <summary>Starts logging into the data folder's logs/ (created 0700) and, when <paramref name="console"/>, to standard error.</summary>
    public static CapstanLog Open(DataFolder data, LogLevels levels, bool console = true)
    {
        var folder = Path.Combine(data.Root, "logs");
        Directory.CreateDirectory(folder);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var file = new RedactingFormatter(new MessageTemplateTextFormatter(FileLine, System.Globalization.CultureInfo.InvariantCulture));
        var onConsole = new RedactingFormatter(new MessageTemplateTextFormatter(ConsoleLine, System.Globalization.CultureInfo.InvariantCulture));
        var config = new LoggerConfiguration().MinimumLevel.Verbose()
            .WriteTo.File(file, Path.Combine(folder, "capstan-.log"), rollingInterval: RollingInterval.Day, fileSizeLimitBytes: FileSizeLimit,
                rollOnFileSizeLimit: true, retainedFileCountLimit: FilesKept, hooks: new OwnerOnlyFiles());
        if (console) config = config.WriteTo.Console(onConsole, standardErrorFromLevel: LogEventLevel.Verbose);
        return new CapstanLog(config.CreateLogger(), file, onConsole, levels, folder);
    }

    /// <summary>From now on every line is passed through <paramref name="redactor"/> (the node's, which knows the configured secrets).</summary>
    public void RedactWith(Redactor redactor)
    {
        _file.Redactor = redactor;
        _console.Redactor = redactor;
    }

    /// <summary>Makes a logging builder (the web host's, or the CLI's services') write here, at these levels, and nowhere else.</summary>
    public void Configure(ILoggingBuilder logging) =>
        logging.ClearProviders()
            .SetMinimumLevel(LogLevel.Trace)
            .AddFilter((_, category, level) => Levels.Allows(category, level))
            .AddProvider(new SerilogLoggerProvider(_serilog, dispose: false));

    public void Dispose()
    {
        Factory.Dispose();
        _serilog.Dispose();
    }
}
