using Capstan.Core.Access;
using Capstan.Core.Ledger;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Capstan.Web.Api;

/// <summary>One-time sign-in links become browser sessions.</summary>
public static class SignIn
{
    public static readonly TimeSpan LinkLifetime = TimeSpan.FromMinutes(30);
    public static readonly TimeSpan SessionLifetime = TimeSpan.FromDays(14);

    public static void MapSignIn(this IEndpointRouteBuilder app)
    {
        app.MapGet("/signin", async (string? token, string? next, HttpContext http, AccessTokens tokens, Ledger ledger, CancellationToken ct) =>
        {
            if (string.IsNullOrEmpty(token)) return Results.Redirect("/");
            // Only a sign-in link is spent here: an API or session token pasted into the address is neither used nor revoked.
            var (link, problem) = await tokens.ValidateAsync(token, ct, consume: true, kind: TokenKind.SignIn);
            if (link is null)
            {
                await ledger.AppendAsync(LedgerKinds.SignIn, link?.Person ?? "unknown", null, null, new { ok = false, reason = problem ?? "not a sign-in link", ip = http.Connection.RemoteIpAddress?.ToString() });
                return Results.Content(Pages.Message("Sign-in link not accepted", (problem ?? "That is not a sign-in link.") +
                    " Ask an admin for a new link, or run `capstan signin-link --person YOU` on the server."), "text/html", statusCode: 401);
            }
            var session = await tokens.IssueAsync(link.Person, TokenKind.Session, "browser", SessionLifetime, ct);
            await ledger.AppendAsync(LedgerKinds.SignIn, link.Person, null, null, new { ok = true, link = link.Id, session = session.Info.Id, ip = http.Connection.RemoteIpAddress?.ToString(), agent = http.Request.Headers.UserAgent.ToString() });
            http.Response.Cookies.Append(Caller.SessionCookie, session.Secret, new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Lax,
                Secure = http.Request.IsHttps,
                Expires = session.Info.ExpiresAt,
                Path = "/",
            });
            // Only same-site paths, so a sign-in link cannot send people elsewhere.
            var target = next is { Length: > 1 } && next[0] == '/' && next[1] != '/' && next[1] != '\\' ? next : "/";
            return Results.Redirect(target);
        });

        app.MapPost("/signout", async (HttpContext http, AccessTokens tokens, CancellationToken ct) =>
        {
            if (http.Request.Cookies.TryGetValue(Caller.SessionCookie, out var secret))
            {
                var (t, _) = await tokens.ValidateAsync(secret, ct);
                if (t is not null) await tokens.RevokeAsync(t.Id, null, ct);
            }
            http.Response.Cookies.Delete(Caller.SessionCookie);
            return Results.Redirect("/");
        });
    }
}
