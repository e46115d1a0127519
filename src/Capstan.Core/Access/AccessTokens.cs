using System.Security.Cryptography;
using System.Text;
using Capstan.Core.Storage;
using Dapper;

namespace Capstan.Core.Access;

/// <summary>What a token is for.</summary>
public enum TokenKind
{
    /// <summary>A bearer token for the API and the CLI.</summary>
    Api,
    /// <summary>A browser session cookie.</summary>
    Session,
    /// <summary>A one-time sign-in link.</summary>
    SignIn,
    /// <summary>The data folder's own token: lets local tools act as any person ("via local admin").</summary>
    LocalAdmin,
}

/// <summary>A token's record, never its secret.</summary>
public sealed record TokenInfo(string Id, string Person, TokenKind Kind, string Label, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? UsedAt, DateTimeOffset? RevokedAt);

/// <summary>A freshly created token: the secret is shown once and never stored.</summary>
public sealed record IssuedToken(TokenInfo Info, string Secret);

/// <summary>
/// Per-person tokens (API bearer tokens, browser sessions, one-time sign-in links). Only a SHA-256 of each
/// secret is stored, so a copy of the database does not let anyone sign in.
/// </summary>
public sealed class AccessTokens(IDatabase db, TimeProvider clock)
{
    /// <summary>How long a validated token is trusted without asking the database again (revocations in this process apply at once).</summary>
    public static readonly TimeSpan CacheLifetime = TimeSpan.FromSeconds(5);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (TokenInfo Token, DateTimeOffset Until)> _valid = new(StringComparer.Ordinal);

    public async Task<IssuedToken> IssueAsync(string person, TokenKind kind, string label, TimeSpan? lifetime, CancellationToken ct)
    {
        var id = "t" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(5));
        var secret = $"cap_{id}_{Base64Url(RandomNumberGenerator.GetBytes(24))}";
        var now = clock.GetUtcNow();
        var info = new TokenInfo(id, person, kind, label, now, lifetime is null ? null : now + lifetime, null, null);
        await using var c = await db.OpenConnectionAsync(ct);
        await c.ExecuteAsync("INSERT INTO access_tokens (id, person, kind, secret_hash, label, created_at, expires_at) VALUES (@id, @person, @kind, @hash, @label, @created, @expires)",
            new { id, person, kind = kind.ToString(), hash = Hash(secret), label, created = now.ToString("O"), expires = info.ExpiresAt?.ToString("O") });
        return new IssuedToken(info, secret);
    }

    /// <summary>
    /// Checks a presented secret; returns the token, or an explanation of why it is not accepted. With
    /// <paramref name="kind"/>, a token of another kind is refused before it is marked used or consumed.
    /// </summary>
    public async Task<(TokenInfo? Token, string? Problem)> ValidateAsync(string secret, CancellationToken ct, bool consume = false, TokenKind? kind = null)
    {
        if (string.IsNullOrEmpty(secret) || !secret.StartsWith("cap_", StringComparison.Ordinal) || secret.Length > 200)
            return (null, "That is not a Capstan token. Create one with `capstan token create` or from your profile page.");
        var hash = Hash(secret);
        var now0 = clock.GetUtcNow();
        if (!consume && kind is null && _valid.TryGetValue(hash, out var cached) && cached.Until > now0 && (cached.Token.ExpiresAt is null || cached.Token.ExpiresAt > now0))
            return (cached.Token, null);
        await using var c = await db.OpenConnectionAsync(ct);
        var row = await c.QueryFirstOrDefaultAsync<Row>("SELECT id, person, kind, label, created_at, expires_at, used_at, revoked_at FROM access_tokens WHERE secret_hash = @h", new { h = hash });
        if (row is null) return (null, "This token is not known: it may be mistyped or forged. Create a new one with `capstan token create`.");
        var t = row.ToInfo();
        if (kind is not null && t.Kind != kind)
            return (null, kind == TokenKind.SignIn ? "That is not a sign-in link (it is another kind of token, which was left untouched)." : $"That token is not a {kind} token.");
        var now = clock.GetUtcNow();
        // A sign-in link is revoked when it is used: say that, not "revoked", so the person knows to ask for a new link.
        if (t.Kind == TokenKind.SignIn && t.UsedAt is not null) return (null, $"This sign-in link was already used at {t.UsedAt:yyyy-MM-dd HH:mm} UTC; each link works once. Ask for a new one.");
        if (t.RevokedAt is not null) return (null, $"This token was revoked at {t.RevokedAt:yyyy-MM-dd HH:mm} UTC. Create a new one with `capstan token create`.");
        if (t.ExpiresAt is not null && t.ExpiresAt <= now) return (null, $"This token expired at {t.ExpiresAt:yyyy-MM-dd HH:mm} UTC. Ask for a new one.");
        if (consume)
        {
            var updated = await c.ExecuteAsync("UPDATE access_tokens SET used_at = @now, revoked_at = @now WHERE id = @id AND revoked_at IS NULL", new { id = t.Id, now = now.ToString("O") });
            if (updated == 0) return (null, "This sign-in link was already used. Ask for a new one.");
        }
        else
        {
            if (t.UsedAt is null || now - t.UsedAt > TimeSpan.FromMinutes(1))
                await c.ExecuteAsync("UPDATE access_tokens SET used_at = @now WHERE id = @id", new { id = t.Id, now = now.ToString("O") });
            _valid[hash] = (t, now + CacheLifetime);
        }
        return (t, null);
    }

    public async Task<IReadOnlyList<TokenInfo>> ListAsync(string? person, CancellationToken ct)
    {
        await using var c = await db.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<Row>("SELECT id, person, kind, label, created_at, expires_at, used_at, revoked_at FROM access_tokens WHERE (@person IS NULL OR person = @person) AND kind = 'Api' ORDER BY created_at", new { person });
        return rows.Select(r => r.ToInfo()).ToList();
    }

    /// <summary>Revokes one token by id, or every token of a person; returns how many were revoked.</summary>
    public async Task<int> RevokeAsync(string? id, string? person, CancellationToken ct)
    {
        _valid.Clear();
        await using var c = await db.OpenConnectionAsync(ct);
        return await c.ExecuteAsync("UPDATE access_tokens SET revoked_at = @now WHERE revoked_at IS NULL AND kind <> 'LocalAdmin' AND (id = @id OR person = @person)",
            new { id, person, now = clock.GetUtcNow().ToString("O") });
    }

    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private sealed record Row(string id, string person, string kind, string label, string created_at, string? expires_at, string? used_at, string? revoked_at)
    {
        public TokenInfo ToInfo() => new(id, person, Enum.Parse<TokenKind>(kind), label, Parse(created_at)!.Value, Parse(expires_at), Parse(used_at), Parse(revoked_at));
        private static DateTimeOffset? Parse(string? s) => s is null ? null : DateTimeOffset.Parse(s, System.Globalization.CultureInfo.InvariantCulture);
    }
}
