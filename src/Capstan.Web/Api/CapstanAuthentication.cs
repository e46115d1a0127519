using System.Security.Claims;
using System.Text.Encodings.Web;
using Capstan.Core.Access;
using Capstan.Core.Config;
using Capstan.Core.Ledger;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Capstan.Web.Api;

/// <summary>
/// Signs in every request to a route group that requires it, once: a bearer token (API token, or the local admin
/// token with <c>X-Capstan-As</c>), or the browser session cookie. Token use is recorded in the ledger as before; a
/// request that is not signed in gets a 401 whose sentence says what to do.
/// </summary>
public sealed class CapstanAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    AccessTokens tokens, ConfigState config, Ledger ledger) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "capstan";
    public const string Policy = "signed-in";

    private const string NoCredentials = "Sign in first: send `Authorization: Bearer TOKEN` (create one with `capstan token create`), or open the sign-in link `capstan up` printed.";
    private (int Status, string Message) _refusal = (StatusCodes.Status401Unauthorized, NoCredentials);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var http = Context;
        string? secret = null;
        var viaCookie = false;
        var auth = http.Request.Headers.Authorization.ToString();
        if (auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) secret = auth[7..].Trim();
        else if (http.Request.Cookies.TryGetValue(Caller.SessionCookie, out var cookie)) { secret = cookie; viaCookie = true; }
        if (secret is null) return AuthenticateResult.NoResult();
        var (token, problem) = await tokens.ValidateAsync(secret, http.RequestAborted);
        if (token is null) return Refuse(StatusCodes.Status401Unauthorized, problem!);
        // A sign-in link is spent at /signin; it never stands in for a session or an API token.
        if (token.Kind == TokenKind.SignIn || (viaCookie && token.Kind != TokenKind.Session))
            return Refuse(StatusCodes.Status401Unauthorized, "That token cannot be used here: open a sign-in link in the browser, or send an API token as `Authorization: Bearer TOKEN` (create one with `capstan token create`).");
        var policy = config.Current.Policy;
        var personId = token.Person;
        string? via = null;
        if (token.Kind == TokenKind.LocalAdmin)
        {
            var actAs = http.Request.Headers[Caller.ActAsHeader].ToString();
            if (string.IsNullOrEmpty(actAs))
                return Refuse(StatusCodes.Status400BadRequest, $"The local admin token acts on behalf of a person: add the header {Caller.ActAsHeader}: PERSON (capstan say --as PERSON).");
            personId = actAs;
            via = "local admin";
        }
        if (!policy.People.TryGetValue(personId, out var person))
            return Refuse(StatusCodes.Status401Unauthorized, $"'{personId}' is not a person in capstan.yaml (any more); tokens of removed people stop working. Known people: {string.Join(", ", policy.People.Keys.Order())}.");
        var recordUse = http.GetEndpoint()?.Metadata.GetMetadata<RecordsOwnTokenUse>() is null;
        if (!viaCookie && recordUse)
            _ = ledger.AppendAsync(LedgerKinds.TokenUse, person.Id, null, null, new { token = token.Id, kind = token.Kind.ToString(), via, path = http.Request.Path.Value, method = http.Request.Method });
        var caller = new Caller(person, token, via);
        http.Items[typeof(Caller)] = caller;
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, person.Id), new Claim(ClaimTypes.Name, person.Name)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) => WriteAsync(_refusal.Status, _refusal.Message, "Sign in first");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteAsync(StatusCodes.Status403Forbidden, "You are signed in but may not do this; ask an admin for the permission it needs.", "Not allowed");

    private AuthenticateResult Refuse(int status, string message)
    {
        _refusal = (status, message);
        return AuthenticateResult.Fail(message);
    }

    // The API answers JSON; pages (the postmortem) answer a small page that says how to sign in.
    private Task WriteAsync(int status, string message, string title)
    {
        if (Request.Path.StartsWithSegments("/api")) return Results.Json(new { error = message }, statusCode: status).ExecuteAsync(Context);
        var text = status == StatusCodes.Status401Unauthorized ? "Open the sign-in link `capstan up` printed, then come back to this page. (" + message + ")" : message;
        return Results.Content(Pages.Message(title, text), "text/html; charset=utf-8", statusCode: status).ExecuteAsync(Context);
    }
}

/// <summary>Registers <see cref="CapstanAuthentication"/> and the policy route groups require.</summary>
public static class CapstanAuthenticationSetup
{
    public static IServiceCollection AddCapstanAuthentication(this IServiceCollection services)
    {
        // No default scheme: only routes that require sign-in authenticate (and record token use), not assets or /healthz.
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, CapstanAuthentication>(CapstanAuthentication.SchemeName, null);
        services.AddAuthorizationBuilder().AddPolicy(CapstanAuthentication.Policy, p => p.AddAuthenticationSchemes(CapstanAuthentication.SchemeName).RequireAuthenticatedUser());
        return services;
    }

    /// <summary>Every endpoint of the group needs a signed-in caller.</summary>
    public static TBuilder RequireSignIn<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(CapstanAuthentication.Policy);
}
