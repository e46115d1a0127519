using Capstan.Core.Access;
using Capstan.Core.Policy;
using Microsoft.AspNetCore.Http;

namespace Capstan.Web.Api;

/// <summary>The person behind an HTTP request: from a bearer token, the local admin token (acting as someone), or a browser session.</summary>
public sealed record Caller(Person Person, TokenInfo Token, string? Via)
{
    public const string SessionCookie = "capstan_session";
    public const string ActAsHeader = "X-Capstan-As";

    /// <summary>The caller <see cref="CapstanAuthentication"/> signed in for this request (handlers behind <c>RequireAuthorization</c> take it as a parameter).</summary>
    public static ValueTask<Caller?> BindAsync(HttpContext http) => ValueTask.FromResult(Of(http));

    /// <summary>The request's signed-in caller, if any.</summary>
    public static Caller? Of(HttpContext http) => http.Items.TryGetValue(typeof(Caller), out var c) ? c as Caller : null;
}

/// <summary>Endpoint metadata: the endpoint's own ledger entry names the token, so the sign-in does not record its use again.</summary>
public sealed class RecordsOwnTokenUse;
