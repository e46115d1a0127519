using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Capstan.Chat.Adapters;
using Microsoft.Extensions.Logging;

namespace Capstan.Chat.Irc;

/// <summary>
/// One IRC session on one connection: registration with IRCv3 capability negotiation (SASL PLAIN, <c>account-tag</c>,
/// <c>account-notify</c>, <c>extended-join</c> where offered), another nick when Capstan's is taken, the mapped channels
/// joined, PING answered and sent when the server goes quiet, and PRIVMSGs handed to the host in the order they came.
/// NOTICEs are never answered (RFC 2812 §3.3.2) and CTCP requests are ignored.
/// </summary>
internal sealed class IrcSession(IrcSettings settings, IrcConnection connection, AdapterSession session, IrcTimings timings, string? password, Action<string> nickChanged)
{
    private static readonly string[] Wanted = ["sasl", "account-tag", "account-notify", "extended-join", "message-tags"];

    private readonly ConcurrentDictionary<string, TaskCompletionSource> _pongs = new(StringComparer.Ordinal);
    private readonly Channel<ChatInbound> _inbound = Channel.CreateUnbounded<ChatInbound>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly HashSet<string> _caps = new(StringComparer.OrdinalIgnoreCase);
    private readonly StringBuilder _offered = new();
    private readonly HashSet<string> _joining = new(StringComparer.OrdinalIgnoreCase);
    private int _nickAttempt;
    private long _pings;
    private bool _registered, _connected, _whox;
    private string? _account;

    public IrcPeople People { get; } = new();
    public string Nick { get; private set; } = settings.Nick;

    /// <summary>Capstan's own <c>nick!user@host</c> as the server shows it (from its own JOIN), for the line budget.</summary>
    public string? SelfMask { get; private set; }

    private ILogger Log => session.Log;

    public async Task RunAsync(CancellationToken ct)
    {
        var receiving = Task.Run(() => ReceiveAsync(ct), CancellationToken.None);
        try
        {
            await connection.SendAsync("CAP LS 302", ct);
            await connection.SendAsync("NICK " + Nick, ct);
            await connection.SendAsync($"USER {settings.Nick} 0 * :Capstan", ct);
            await ReadAsync(ct);
        }
        finally
        {
            foreach (var pong in _pongs.Values) pong.TrySetException(new IOException("The IRC session ended before the server confirmed the message."));
            _inbound.Writer.TryComplete();
            // Messages already received are still answered (the answers wait in the host's queue for the next session).
            await receiving;
        }
    }

    private async Task ReadAsync(CancellationToken ct)
    {
        var pinged = false;
        while (true)
        {
            using var quiet = new CancellationTokenSource(pinged ? timings.PingTimeout : timings.PingAfter, session.Clock);
            using var either = CancellationTokenSource.CreateLinkedTokenSource(ct, quiet.Token);
            try
            {
                if (!await connection.Lines.WaitToReadAsync(either.Token)) return;
            }
            catch (OperationCanceledException) when (quiet.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                if (pinged)
                    throw new TimeoutException($"The IRC server {settings.Host}:{settings.Port} sent nothing for {(timings.PingAfter + timings.PingTimeout).TotalSeconds:0} s, not even an answer to PING; Capstan reconnects.");
                pinged = true;
                await connection.SendAsync("PING :capstan-alive", ct);
                continue;
            }
            pinged = false;
            while (connection.Lines.TryRead(out var line)) await HandleAsync(IrcMessage.Parse(line), ct);
        }
    }

    private async Task ReceiveAsync(CancellationToken ct)
    {
        await foreach (var m in _inbound.Reader.ReadAllAsync(CancellationToken.None))
        {
            try { await session.ReceiveAsync(m, ct); }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception ex)
            {
                Log.LogError(ex, "A message from {Nick} in {Channel} on IRC could not be taken: {Reason}", m.Sender.Display, m.Channel, ex.Message);
            }
        }
    }

    private async Task HandleAsync(IrcMessage m, CancellationToken ct)
    {
        switch (m.Command)
        {
            case "PING": await connection.SendAsync("PONG :" + IrcText.Clean(m.Params.LastOrDefault() ?? ""), ct); break;
            case "PONG": if (_pongs.TryRemove(m.Params.LastOrDefault() ?? "", out var pong)) pong.TrySetResult(); break;
            case "CAP": await CapabilityAsync(m, ct); break;
            case "AUTHENTICATE" when m.Param(0) == "+": await AuthenticateAsync(ct); break;
            case "900": _account = m.Param(2); break;
            case "903": await connection.SendAsync("CAP END", ct); break;
            case "902" or "904" or "905" or "906" or "908":
                throw new InvalidOperationException($"The IRC server refused Capstan's SASL login as '{settings.SaslUser}' ({m.Command}: {m.Params.LastOrDefault()}). Check platforms.irc.sasl.user and the secret {settings.SaslPassword?.Name}.");
            case "421" when IrcNick.Same(m.Param(1), "CAP"):
                if (password is not null) throw NoSasl();
                break;
            case "433" or "436" when !_registered:
                Nick = IrcNick.Alternative(settings.Nick, ++_nickAttempt);
                Log.LogWarning("The IRC nick {Taken} is taken; Capstan uses {Nick}", m.Param(1), Nick);
                await connection.SendAsync("NICK " + Nick, ct);
                break;
            case "432":
                throw new InvalidOperationException($"The IRC server refused the nick '{m.Param(1)}' ({m.Params.LastOrDefault()}); choose another platforms.irc.nick.");
            case "001": await RegisteredAsync(m, ct); break;
            case "005": _whox |= m.Params.Contains("WHOX"); break;
            case "JOIN": await JoinedAsync(m, ct); break;
            case "403" or "405" or "471" or "473" or "474" or "475" or "476" or "477":
                if (_joining.Remove(m.Param(1)))
                {
                    Log.LogWarning("Capstan could not join {Channel} on IRC: {Reason}", m.Param(1), m.Params.LastOrDefault());
                    ConnectedWhenJoined();
                }
                break;
            case "352": People.Seen(m.Param(5), m.Param(2), m.Param(3)); break;
            case "354" when m.Param(1) == "42":
                People.Seen(m.Param(4), m.Param(2), m.Param(3));
                People.Account(m.Param(4), m.Param(5));
                break;
            case "ACCOUNT" when m.Nick is { } who: People.Seen(m.Prefix!); People.Account(who, m.Param(0)); break;
            case "NICK" when m.Nick is { } who:
                if (IrcNick.Same(who, Nick)) { Nick = m.Param(0); nickChanged(Nick); }
                else People.Renamed(who, m.Param(0));
                break;
            case "QUIT" when m.Nick is { } who: People.Gone(who); break;
            case "INVITE":
                if (settings.Maps(m.Param(1))) await JoinAsync(m.Param(1), ct);
                else Log.LogInformation("{Nick} invited Capstan to {Channel} on IRC; it joins only channels mapped under platforms.irc.rooms", m.Nick, m.Param(1));
                break;
            case "KICK" when IrcNick.Same(m.Param(1), Nick):
                Log.LogWarning("{Nick} removed Capstan from {Channel} on IRC: {Reason}", m.Nick, m.Param(0), m.Param(2));
                break;
            case "PRIVMSG": Privmsg(m); break;
            case "NOTICE": break; // never answered, never a command: RFC 2812 §3.3.2 (this is how bots avoid loops)
            case "ERROR": throw new IOException($"The IRC server ended the session: {m.Param(0)}");
        }
    }

    private async Task CapabilityAsync(IrcMessage m, CancellationToken ct)
    {
        switch (m.Param(1).ToUpperInvariant())
        {
            case "LS":
                var more = m.Param(2) == "*";
                _offered.Append(' ').Append(more ? m.Param(3) : m.Param(2));
                if (more) break;
                var offered = _offered.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(c => c.Split('=')[0]).ToHashSet(StringComparer.OrdinalIgnoreCase);
                if (password is not null && !offered.Contains("sasl")) throw NoSasl();
                var ask = Wanted.Where(offered.Contains).Where(c => c != "sasl" || password is not null).ToList();
                await connection.SendAsync(ask.Count > 0 ? "CAP REQ :" + string.Join(' ', ask) : "CAP END", ct);
                break;
            case "ACK":
                foreach (var cap in m.Params.Last().Split(' ', StringSplitOptions.RemoveEmptyEntries)) _caps.Add(cap.TrimStart('-', '~', '='));
                await connection.SendAsync(_caps.Contains("sasl") && password is not null ? "AUTHENTICATE PLAIN" : "CAP END", ct);
                break;
            case "NAK":
                if (password is not null) throw NoSasl();
                await connection.SendAsync("CAP END", ct);
                break;
        }
    }

    private InvalidOperationException NoSasl() =>
        new($"The IRC server {settings.Host}:{settings.Port} does not offer SASL, and platforms.irc.sasl is set; Capstan sends its password no other way. Remove sasl: or connect to a server that offers it.");

    /// <summary>SASL PLAIN: <c>user\0user\0password</c> in base64, in pieces of 400 (a piece of exactly 400 is followed by <c>+</c>).</summary>
    private async Task AuthenticateAsync(CancellationToken ct)
    {
        var user = settings.SaslUser!;
        var payload = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}\0{user}\0{password}"));
        for (var i = 0; i < payload.Length; i += 400)
            await connection.SendAsync("AUTHENTICATE " + payload.Substring(i, Math.Min(400, payload.Length - i)), ct);
        if (payload.Length % 400 == 0) await connection.SendAsync("AUTHENTICATE +", ct);
    }

    private async Task RegisteredAsync(IrcMessage m, CancellationToken ct)
    {
        _registered = true;
        Nick = m.Param(0);
        nickChanged(Nick);
        foreach (var channel in settings.Rooms.Values) _joining.Add(channel);
        if (_joining.Count == 0) ConnectedWhenJoined();
        foreach (var channel in settings.Rooms.Values) await JoinAsync(channel, ct);
    }

    private Task JoinAsync(string channel, CancellationToken ct) => connection.SendPacedAsync("JOIN " + channel, ct);

    private async Task JoinedAsync(IrcMessage m, CancellationToken ct)
    {
        if (m.Prefix is null) return;
        var channel = m.Param(0);
        var who = People.Seen(m.Prefix);
        if (_caps.Contains("extended-join") && m.Params.Count > 1) People.Account(who.Nick, m.Param(1));
        if (!IrcNick.Same(who.Nick, Nick)) return;
        SelfMask = m.Prefix;
        // Who is here already: to find a person's current nick for direct messages (WHOX also gives accounts).
        await connection.SendPacedAsync(_whox ? $"WHO {channel} %tuhna,42" : "WHO " + channel, ct);
        if (_joining.Remove(channel)) ConnectedWhenJoined();
    }

    private void ConnectedWhenJoined()
    {
        if (_connected || _joining.Count > 0) return;
        _connected = true;
        session.Connected($"{settings.Host}:{settings.Port} as {Nick}" + (_account is null ? "" : $" (account {_account})") + (settings.Tls ? " over TLS" : ""));
    }

    private void Privmsg(IrcMessage m)
    {
        if (m.Prefix is null || !m.Prefix.Contains('!')) return; // from the server itself
        var target = m.Param(0);
        var text = m.Param(1);
        if (text.StartsWith('\u0001'))
        {
            Log.LogDebug("Ignored a CTCP request from {Nick}", m.Nick);
            return; // CTCP (VERSION, PING, ACTION …): never answered, never a command
        }
        var user = People.Seen(m.Prefix);
        if (_caps.Contains("account-tag")) People.Account(user.Nick, m.Tag("account"));
        var account = People.Find(user.Nick)?.Account;
        var direct = IrcNick.Same(target, Nick);
        if (!direct && !IrcNick.IsChannel(target)) return;
        var mask = user.Mask;
        var sender = new ChatSender(account ?? mask, user.Nick, IsBot: m.Tags.ContainsKey("bot") || m.Tags.ContainsKey("draft/bot"), IsSelf: IrcNick.Same(user.Nick, Nick),
            Matches: configured => Identifies(configured, mask, account));
        var id = "irc:" + (m.Tag("msgid") ?? Guid.NewGuid().ToString("N"));
        _inbound.Writer.TryWrite(new ChatInbound(id, direct ? sender.Handle : target, direct, sender, text, id));
    }

    /// <summary>
    /// Whether a configured IRC handle is this sender: a <c>nick!user@host</c> pattern matched against the full mask, else an
    /// account name matched only against the services account. A bare nick matches nothing else: anyone can take a nick.
    /// </summary>
    public static bool Identifies(string configured, string mask, string? account) =>
        IrcMask.IsPattern(configured) ? IrcMask.Matches(configured, mask) : account is not null && string.Equals(configured, account, StringComparison.OrdinalIgnoreCase);

    /// <summary>Posts text to a channel or a person, line by line under the flood gate, and returns once the server has read it all (a PING answered after the lines).</summary>
    public async Task PostAsync(ChatDestination to, string text, CancellationToken ct)
    {
        var target = to.Direct ? People.NickOf(to.Channel) : to.Channel;
        if (target is null)
            throw new Adapters.ChatDeliveryRefused($"no one matching '{to.Channel}' is in Capstan's IRC channels, so the direct message cannot be sent; they can write to {Nick} first");
        if (to.Direct ? !IrcNick.Valid(target) : !IrcNick.IsChannel(target))
            throw new Adapters.ChatDeliveryRefused($"'{target}' is not an IRC {(to.Direct ? "nick" : "channel")}");
        var self = SelfMask ?? $"{Nick}!{new string('x', IrcText.UnknownUserHost - 64)}@{new string('x', 63)}";
        foreach (var line in IrcText.Lines(text, IrcText.Budget(self, "PRIVMSG", target)))
            await connection.SendPacedAsync($"PRIVMSG {target} :{line}", ct);
        await ConfirmAsync(ct);
    }

    /// <summary>IRC has no acknowledgement: a PING after the lines comes back only once the server has read them, so a dropped connection makes the post fail (and be sent again) instead of vanishing.</summary>
    private async Task ConfirmAsync(CancellationToken ct)
    {
        var token = "sent-" + Interlocked.Increment(ref _pings).ToString(CultureInfo.InvariantCulture);
        var pong = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _pongs[token] = pong;
        await connection.SendAsync("PING :" + token, ct);
        await pong.Task.WaitAsync(ct);
    }
}
