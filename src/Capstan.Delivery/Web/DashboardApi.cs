using System.Text.Json;
using System.Threading.Channels;
using Capstan.Core.Commands;
using Capstan.Core.Ledger;
using Capstan.Delivery.Board;
using Capstan.Web;
using Capstan.Web.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Capstan.Delivery.Web;

/// <summary>The apps × environments dashboard: its page, JSON (GET /api/apps, /api/apps/{app}) and live updates.</summary>
public static class DashboardApi
{
    public static void MapDashboard(this IEndpointRouteBuilder app)
    {
        app.MapGet("/dashboard", () => Pages.Page("dashboard.html"));

        var api = app.MapGroup("/api/apps").RequireSignIn();
        api.MapGet("", (DeliveryBoard board) => Results.Json(board.Apps(), Ledger.Json));
        api.MapGet("/{name}", (string name, DeliveryBoard board) =>
        {
            return board.App(name) is { } a ? Results.Json(a, Ledger.Json)
                : Results.Json(new { error = ArgumentKind.Unknown("app", name, board.Apps().Select(x => x.Name)) }, statusCode: 404);
        });
        api.MapGet("/{name}/history", async (string name, string? env, int? limit, DeliveryBoard board, CancellationToken ct) =>
        {
            if (board.App(name) is null) return Results.Json(new { error = ArgumentKind.Unknown("app", name, board.Apps().Select(x => x.Name)) }, statusCode: 404);
            return Results.Json(await board.HistoryAsync(name, env, limit ?? 50, ct), Ledger.Json);
        });
        api.MapGet("/{name}/diff/{env}", (string name, string env, DeliveryBoard board) =>
        {
            if (board.App(name) is not { } a) return Results.Json(new { error = ArgumentKind.Unknown("app", name, board.Apps().Select(x => x.Name)) }, statusCode: 404);
            if (a.Environments.All(e => e.Name != env)) return Results.Json(new { error = ArgumentKind.Unknown("environment", env, a.Environments.Select(e => e.Name)) }, statusCode: 404);
            return Results.Json(board.Diff(name, env), Ledger.Json);
        });
        app.MapGet("/api/apps-events", async (HttpContext http, DeliveryBoard board, CancellationToken ct) =>
        {
            var changes = Channel.CreateBounded<BoardChange>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest });
            void OnChange(BoardChange c) => changes.Writer.TryWrite(c);
            board.Changed += OnChange;
            try
            {
                await EventStream.PumpAsync(http, changes.Reader, change =>
                {
                    // The whole app row is re-read, so a burst collapses to one row per app it touched.
                    var apps = new List<string> { change.App };
                    while (changes.Reader.TryRead(out var more)) if (!apps.Contains(more.App)) apps.Add(more.App);
                    return string.Concat(apps.Select(a => $"event: app\ndata: {JsonSerializer.Serialize(board.App(a), Ledger.Json)}\n\n"));
                }, ct);
            }
            finally
            {
                board.Changed -= OnChange;
            }
        }).RequireSignIn();
    }
}
