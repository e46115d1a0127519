using System.Collections.Concurrent;
using System.Security.Cryptography;
using Capstan.Core.Commands;

namespace Capstan.Core.Conversation;

/// <summary>A destructive command waiting for its author to type "confirm ID".</summary>
public sealed record PendingConfirmation(string Id, string Person, string Room, string Thread, string MessageId, ParsedCommand Command, DateTimeOffset ExpiresAt);

/// <summary>Time-limited confirmation tokens for destructive commands.</summary>
public sealed class Confirmations(TimeProvider clock)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(2);
    private const string Alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    private readonly ConcurrentDictionary<string, PendingConfirmation> _pending = new(StringComparer.OrdinalIgnoreCase);

    public PendingConfirmation Ask(string person, string room, string thread, string messageId, ParsedCommand command)
    {
        foreach (var stale in _pending.Values.Where(p => p.ExpiresAt <= clock.GetUtcNow())) _pending.TryRemove(stale.Id, out _);
        var id = new string(Enumerable.Range(0, 4).Select(_ => Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)]).ToArray());
        var p = new PendingConfirmation(id, person, room, thread, messageId, command, clock.GetUtcNow() + Lifetime);
        _pending[id] = p;
        return p;
    }

    /// <summary>Takes a pending confirmation for this person, or says why it cannot be taken.</summary>
    public (PendingConfirmation? Pending, string? Problem) Take(string id, string person)
    {
        if (!_pending.TryGetValue(id, out var p))
            return (null, $"There is no pending confirmation '{id}'. It may have been used, cancelled or mistyped; run the command again to get a new one.");
        if (!string.Equals(p.Person, person, StringComparison.OrdinalIgnoreCase))
            return (null, $"Confirmation {id} belongs to {p.Person}; only they can confirm or cancel it.");
        _pending.TryRemove(id, out _);
        if (p.ExpiresAt <= clock.GetUtcNow())
            return (null, $"Confirmation {id} expired at {p.ExpiresAt:HH:mm:ss} UTC; run `{p.Command.Text}` again.");
        return (p, null);
    }

    public bool Has(string id) => _pending.ContainsKey(id);
}
