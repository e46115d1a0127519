using Capstan.Core.Access;
using Capstan.Core.Config;
using Capstan.Core.Ledger;
using Capstan.Core.Policy;
using Microsoft.AspNetCore.Http;

namespace Capstan.Web.Api;

/// <summary>The person behind an HTTP request: from a bearer token, the local admin token (acting as someone), or a browser session.</summary>
public sealed record Caller(Person Person, TokenInfo Token, string? Via)
{
    public const string SessionCookie = "capstan_session";
    public const string ActAsHeader = "X-Capstan-As";
}

/// <summary>Resolves and records who is calling; answers 401 with a sentence saying what to do.</summary>
public sealed class CallerResolver(AccessTokens tokens, ConfigState config, Ledger ledger)
{
    /// <summary>Resolves the caller; records the token use in the ledger unless the caller's own entry will carry it (<paramref name="recordUse"/> false).</summary>
    public async Task<(Caller? Caller, IResult? Problem)> ResolveAsync(HttpContext http, CancellationToken ct, bool recordUse = true)
    {
        string? secret = null;
        var viaCookie = false;
        var auth = http.Request.Headers.Authorization.ToString();
        if (auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) secret = auth[7..].Trim();
        else if (http.Request.Cookies.TryGetValue(Caller.SessionCookie, out var cookie)) { secret = cookie; viaCookie = true; }
        if (secret is null)
            return (null, Unauthorized("Sign in first: send `Authorization: Bearer TOKEN` (create one with `capstan token create`), or open the sign-in link `capstan up` printed."));
        var (token, problem) = await tokens.ValidateAsync(secret, ct);
        if (token is null) return (null, Unauthorized(problem!));
        var policy = config.Current.Policy;
        string personId = token.Person;
        string? via = null;
        if (token.Kind == TokenKind.LocalAdmin)
        {
            var actAs = http.Request.Headers[Caller.ActAsHeader].ToString();
            if (string.IsNullOrEmpty(actAs))
                return (null, Results.Json(new { error = $"The local admin token acts on behalf of a person: add the header {Caller.ActAsHeader}: PERSON (capstan say --as PERSON)." }, statusCode: 400));
            personId = actAs;
            via = "local admin";
        }
        if (!policy.People.TryGetValue(personId, out var person))
            return (null, Unauthorized($"'{personId}' is not a person in capstan.yaml (any more); tokens of removed people stop working. Known people: {string.Join(", ", policy.People.Keys.Order())}."));
        if (!viaCookie && recordUse)
            _ = ledger.AppendAsync(LedgerKinds.TokenUse, person.Id, null, null, new { token = token.Id, kind = token.Kind.ToString(), via, path = http.Request.Path.Value, method = http.Request.Method });
        return (new Caller(person, token, via), null);
    }

    private static IResult Unauthorized(string message) => Results.Json(new { error = message }, statusCode: 401);
}
