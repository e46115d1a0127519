using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Capstan.Core.Storage;
using Dapper;

namespace Capstan.Chat.Linking;

/// <summary>A handle on a platform waiting to be linked to whoever confirms its code on the web UI.</summary>
public sealed record LinkRequest(string Platform, string Handle, DateTimeOffset ExpiresAt);

/// <summary>
/// One-time codes for self-service linking: issued to a handle on a platform (<c>link</c>), taken once by a signed-in
/// person within <see cref="Lifetime"/>. Only a hash of each code is kept, so the database does not hold usable codes.
/// </summary>
public sealed class LinkCodes(IDatabase db, TimeProvider clock)
{
    /// <summary>How long a code can be confirmed.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);

    // No 0/O, 1/I/L: a code is read off one screen and typed into another.
    private const string Alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    private const int Length = 10; // 31^10 ≈ 2^49: not guessable in ten minutes

    private static readonly IReadOnlyList<Migration> Sqlite =
    [
        new(390, "chat link codes", """
            CREATE TABLE chat_link_codes (
              hash TEXT NOT NULL PRIMARY KEY, platform TEXT NOT NULL, handle TEXT NOT NULL, expires_at TEXT NOT NULL, used_at TEXT);
            """),
    ];

    private static readonly ModuleMigrations Migrations = new("Chat links", new Dictionary<string, IReadOnlyList<Migration>> { ["sqlite"] = Sqlite });

    /// <summary>A new code for <paramref name="handle"/> on <paramref name="platform"/>, shown as <c>ABCDE-FGHJK</c>.</summary>
    public async Task<(string Code, DateTimeOffset ExpiresAt)> IssueAsync(string platform, string handle, CancellationToken ct)
    {
        var raw = new string(Enumerable.Range(0, Length).Select(_ => Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)]).ToArray());
        var expires = clock.GetUtcNow() + Lifetime;
        await using var c = await OpenAsync(ct);
        // Spent and expired codes are of no use to anyone: forget them as new ones are made.
        await c.ExecuteAsync(new CommandDefinition("DELETE FROM chat_link_codes WHERE expires_at < @now", new { now = Time(clock.GetUtcNow() - Lifetime) }, cancellationToken: ct));
        await c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO chat_link_codes (hash, platform, handle, expires_at) VALUES (@hash, @platform, @handle, @expires)",
            new { hash = Hash(raw), platform, handle, expires = Time(expires) }, cancellationToken: ct));
        return (raw[..5] + "-" + raw[5..], expires);
    }

    /// <summary>What a code would link, without spending it (the web page shows it before the person confirms); null with the reason otherwise.</summary>
    public async Task<(LinkRequest? Request, string? Problem)> PeekAsync(string code, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<(string Platform, string Handle, string ExpiresAt, string? UsedAt)?>(new CommandDefinition(
            "SELECT platform, handle, expires_at, used_at FROM chat_link_codes WHERE hash = @hash", new { hash = Hash(Normalise(code)) }, cancellationToken: ct));
        if (row is not { } r) return (null, Unknown);
        if (r.UsedAt is not null) return (null, Spent);
        var expires = DateTimeOffset.Parse(r.ExpiresAt, CultureInfo.InvariantCulture);
        if (expires <= clock.GetUtcNow()) return (null, Expired);
        return (new LinkRequest(r.Platform, r.Handle, expires), null);
    }

    /// <summary>Spends a code: succeeds once, before it expires.</summary>
    public async Task<(LinkRequest? Request, string? Problem)> TakeAsync(string code, CancellationToken ct)
    {
        var (request, problem) = await PeekAsync(code, ct);
        if (request is null) return (null, problem);
        await using var c = await OpenAsync(ct);
        var taken = await c.ExecuteAsync(new CommandDefinition(
            "UPDATE chat_link_codes SET used_at = @now WHERE hash = @hash AND used_at IS NULL AND expires_at > @now",
            new { hash = Hash(Normalise(code)), now = Time(clock.GetUtcNow()) }, cancellationToken: ct));
        return taken == 1 ? (request, null) : (null, Spent);
    }

    private const string Unknown = "That code is not one Capstan gave out. Check it, or write `link` to Capstan on your chat platform for a new one.";
    private const string Spent = "That code was used already; a code links once. Write `link` to Capstan on your chat platform for a new one.";
    private const string Expired = "That code has expired (codes last 10 minutes). Write `link` to Capstan on your chat platform for a new one.";

    /// <summary>The code as typed, without spaces, dashes or case.</summary>
    private static string Normalise(string code) => new(code.Where(char.IsAsciiLetterOrDigit).Select(char.ToUpperInvariant).ToArray());

    private static string Hash(string raw) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("capstan-link:" + raw)));

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private async Task<System.Data.Common.DbConnection> OpenAsync(CancellationToken ct)
    {
        await db.MigrateAsync(Migrations, ct);
        return await db.OpenConnectionAsync(ct);
    }
}
