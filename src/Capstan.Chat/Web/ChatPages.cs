using Capstan.Chat.Adapters;
using Capstan.Chat.Linking;
using Capstan.Core.Commands;
using Capstan.Core.Config;
using Capstan.Core.Ledger;
using Capstan.Core.Policy;
using Capstan.Web.Api;
using Capstan.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Capstan.Chat.Web;

/// <summary>
/// The adapters page and <c>GET /api/adapters</c> (what <c>capstan adapters</c> prints), and the link page where a
/// signed-in person confirms a code their chat handle was given (<c>POST /api/link/check</c>, <c>POST /api/link</c>).
/// </summary>
public static class ChatPages
{
    /// <summary>The body of the link calls: the code as the person typed it.</summary>
    public sealed record LinkBody(string? Code);

    public static void MapChatPages(this IEndpointRouteBuilder app)
    {
        app.MapGet("/adapters", () => Pages.Page("adapters.html"));
        app.MapGet("/link", () => Pages.Page("link.html"));

        app.MapGet("/api/adapters", (Caller caller, ConfigState config, TimeProvider clock, IServiceProvider services) =>
        {
            var policy = config.Current.Policy;
            var d = policy.Check(policy.Identify(AccessPolicy.CapstanPlatform, caller.Person.Id), CoreCommands.ReadPermission, "adapters", null, null);
            if (!d.Allowed) return Results.Json(new { error = d.Reason }, statusCode: 403);
            if (services.GetService<AdapterHost>() is not { } host) return Results.Json(new { running = false, message = AdapterReport.NoServer, adapters = Array.Empty<AdapterStatus>() }, Ledger.Json);
            var statuses = host.Statuses;
            return Results.Json(new
            {
                running = true,
                message = statuses.Count == 0 ? AdapterReport.NoneConfigured : AdapterReport.Sentence(statuses),
                adapters = statuses.Select(s => new
                {
                    s.Platform,
                    state = s.State.ToString().ToLowerInvariant(),
                    s.Since,
                    s.Detail,
                    s.LastError,
                    s.LastErrorAt,
                    s.Reconnects,
                    s.Received,
                    s.Answered,
                    s.Ignored,
                    s.Duplicates,
                    s.Sent,
                    s.Queued,
                }),
            }, Ledger.Json);
        }).RequireSignIn();

        app.MapPost("/api/link/check", async (LinkBody body, Caller caller, HandleLinker linker, CancellationToken ct) =>
        {
            if (Refusal(caller, body) is { } refused) return refused;
            var r = await linker.CheckAsync(caller.Person, body.Code!, ct);
            return r.Ok ? Results.Json(new { platform = r.Linked!.Platform, handle = r.Linked.Handle, message = r.Message }) : Results.Json(new { error = r.Message }, statusCode: 400);
        }).RequireSignIn();

        app.MapPost("/api/link", async (LinkBody body, Caller caller, HandleLinker linker, CancellationToken ct) =>
        {
            if (Refusal(caller, body) is { } refused) return refused;
            var r = await linker.ConfirmAsync(caller.Person, body.Code!, ct);
            return r.Ok ? Results.Json(new { platform = r.Linked!.Platform, handle = r.Linked.Handle, message = r.Message }) : Results.Json(new { error = r.Message }, statusCode: 400);
        }).RequireSignIn();
    }

    /// <summary>A link is confirmed by the person it links, in their own session: not by the local admin token acting as them.</summary>
    private static IResult? Refusal(Caller caller, LinkBody body)
    {
        if (caller.Via is not null)
            return Results.Json(new { error = "A link is confirmed by the person it links, signed in as themselves; the local admin token cannot confirm one for them." }, statusCode: 403);
        if (string.IsNullOrWhiteSpace(body.Code))
            return Results.Json(new { error = "Enter the code Capstan gave you when you wrote `link` to it on your chat platform." }, statusCode: 400);
        return null;
    }
}
