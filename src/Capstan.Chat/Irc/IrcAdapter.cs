using Capstan.Chat.Adapters;
using Capstan.Chat.Text;
using Capstan.Core.Conversation;
using Capstan.Core.Secrets;
using Microsoft.Extensions.DependencyInjection;

namespace Capstan.Chat.Irc;

/// <summary>
/// Capstan on one IRC network: each session connects (TLS unless turned off), registers, joins the mapped channels and
/// speaks plain text. IRC cannot edit, so progress is posted anew at a calm pace; it has no threads, so replies go to the
/// channel (or to the person's current nick for a direct message).
/// </summary>
public sealed class IrcAdapter(IrcSettings settings, IServiceProvider services, IrcTimings timings) : IChatAdapter
{
    private volatile IrcSession? _session;
    private volatile IrcConnection? _connection;
    private volatile string[] _names = [settings.Nick];
    private long _posts;

    public string Platform => "irc";
    public ChatMarkup Markup { get; } = new IrcMarkup();

    /// <summary>Progress is a new line at most every 30 s: IRC cannot edit, and a channel is not a log.</summary>
    public EditLimit Edits { get; } = EditLimit.Reposts(TimeSpan.FromSeconds(30));

    public IReadOnlyList<string> SelfNames => _names;

    /// <summary>The nick Capstan has now (another one when its own was taken).</summary>
    public string Nick => _names[0];

    /// <summary>How many lines waited for the flood gate in the current session.</summary>
    public long Paced => _connection?.Paced ?? 0;

    public async Task RunAsync(AdapterSession session, CancellationToken ct)
    {
        string? password = null;
        if (settings.SaslPassword is { } secret)
        {
            var (value, problem) = services.GetRequiredService<SecretStore>().Find(secret.Name);
            password = value ?? throw new InvalidOperationException($"Capstan cannot log in to IRC: {problem}.");
        }
        await using var connection = await IrcConnection.OpenAsync(settings, timings, session.Clock, ct);
        var irc = new IrcSession(settings, connection, session, timings, password, nick => _names = [nick]);
        _connection = connection;
        _session = irc;
        try { await irc.RunAsync(ct); }
        finally
        {
            _session = null;
            _connection = null;
        }
        throw new IOException("The IRC server closed the connection.");
    }

    public async Task<string> PostAsync(ChatDestination to, string text, CancellationToken ct)
    {
        var irc = _session ?? throw new IOException("Capstan is not connected to IRC right now; the message waits for the next session.");
        await irc.PostAsync(to, text, ct);
        return "irc-" + Interlocked.Increment(ref _posts).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    public Task EditAsync(ChatDestination to, string messageRef, string text, CancellationToken ct) =>
        throw new NotSupportedException("IRC cannot edit a message; the host posts progress anew (EditLimit.Reposts).");

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
