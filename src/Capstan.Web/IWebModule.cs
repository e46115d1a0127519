using Capstan.Core.Modules;
using Microsoft.AspNetCore.Routing;

namespace Capstan.Web;

/// <summary>
/// A module with a part in the web UI: its links in the navigation bar and its HTTP endpoints (pages, JSON API,
/// webhooks). Its pages and assets are the files under its project's <c>wwwroot/</c>, embedded in its assembly and
/// served at <c>/assets/FILE</c>; <see cref="Pages.Page(string, IReadOnlyDictionary{string, string}?)"/> finds them by name.
/// </summary>
public interface IWebModule : ICapstanModule
{
    /// <summary>Its links in the navigation bar at the top of every page.</summary>
    IReadOnlyList<NavigationLink> Navigation { get; }

    /// <summary>Maps its endpoints; the web host has already added sign-in (<c>RequireSignIn</c>), same-origin checks and security headers.</summary>
    void MapEndpoints(IEndpointRouteBuilder app);
}

/// <summary>
/// A link in the navigation bar. Links are shown by <paramref name="Order"/>, lowest first, whichever module adds
/// them: Chat is 100, Dashboard 200, Incidents 300, Jobs 400, Ledger 500, Indicators 600, Adapters 700.
/// </summary>
public sealed record NavigationLink(string Path, string Title, int Order);
