using System.Collections.Concurrent;

namespace Capstan.Chat.Irc;

/// <summary>
/// Who is on the network as far as Capstan has seen (joins, WHO replies, messages, nick changes): each nick's user, host and
/// services account. Used to decide who a sender is and to find the current nick of a person Capstan writes to directly.
/// </summary>
public sealed class IrcPeople
{
    private readonly ConcurrentDictionary<string, IrcUser> _byNick = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Notes a full prefix (<c>nick!user@host</c>) seen on the wire; keeps a known account.</summary>
    public IrcUser Seen(string prefix)
    {
        var bang = prefix.IndexOf('!');
        var at = prefix.IndexOf('@');
        if (bang <= 0 || at < bang) return _byNick.GetOrAdd(prefix, n => new IrcUser(n, "", "", null));
        return Seen(prefix[..bang], prefix[(bang + 1)..at], prefix[(at + 1)..]);
    }

    public IrcUser Seen(string nick, string user, string host) =>
        _byNick.AddOrUpdate(nick, n => new IrcUser(n, user, host, null), (_, was) => was with { User = user, Host = host });

    /// <summary>Sets or clears (<c>*</c>, <c>0</c> or null) a nick's services account.</summary>
    public void Account(string nick, string? account) =>
        _byNick.AddOrUpdate(nick, n => new IrcUser(n, "", "", Known(account)), (_, was) => was with { Account = Known(account) });

    public IrcUser? Find(string nick) => _byNick.TryGetValue(nick, out var u) ? u : null;

    public void Renamed(string from, string to)
    {
        if (_byNick.TryRemove(from, out var u)) _byNick[to] = u with { Nick = to };
    }

    public void Gone(string nick) => _byNick.TryRemove(nick, out _);

    /// <summary>
    /// The nick someone configured as <paramref name="handle"/> uses now: a mask pattern matched against full masks, else an
    /// account; a full mask of someone not seen any more falls back to its nick.
    /// </summary>
    public string? NickOf(string handle)
    {
        if (IrcMask.IsPattern(handle))
        {
            var match = _byNick.Values.FirstOrDefault(u => u.User.Length > 0 && IrcMask.Matches(handle, u.Mask));
            if (match is not null) return match.Nick;
            var nick = handle[..handle.IndexOf('!')];
            return nick.IndexOfAny(['*', '?']) < 0 && IrcNick.Valid(nick) ? nick : null;
        }
        return _byNick.Values.FirstOrDefault(u => string.Equals(u.Account, handle, StringComparison.OrdinalIgnoreCase))?.Nick;
    }

    private static string? Known(string? account) => account is null or "*" or "0" or "" ? null : account;
}

/// <summary>One person on IRC as seen: nick, user, host and services account (null when not logged in or not known).</summary>
public sealed record IrcUser(string Nick, string User, string Host, string? Account)
{
    public string Mask => $"{Nick}!{User}@{Host}";
}
