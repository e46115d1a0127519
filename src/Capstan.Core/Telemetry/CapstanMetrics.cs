using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Capstan.Core.Telemetry;

/// <summary>Capstan's counters and histograms, exported on /metrics.</summary>
public sealed class CapstanMetrics : IDisposable
{
    public const string MeterName = "Capstan";
    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _messages;
    private readonly Counter<long> _commands;
    private readonly Histogram<double> _duration;

    public CapstanMetrics()
    {
        _messages = _meter.CreateCounter<long>("capstan.messages", "{message}", "Messages received in rooms");
        _commands = _meter.CreateCounter<long>("capstan.commands", "{command}", "Commands handled, by command and outcome");
        _duration = _meter.CreateHistogram<double>("capstan.command.duration", "s", "Time from message to reply");
    }

    public void Message(string platform) => _messages.Add(1, new KeyValuePair<string, object?>("platform", platform));

    public void Command(string command, string outcome, TimeSpan elapsed)
    {
        var tags = new TagList { { "command", command }, { "outcome", outcome } };
        _commands.Add(1, tags);
        _duration.Record(elapsed.TotalSeconds, tags);
    }

    public void Dispose() => _meter.Dispose();
}
