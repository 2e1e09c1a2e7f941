using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Rampart.Server.Dashboard;

/// <summary>Endpoint metadata of the dashboard's pages: the API's access middleware leaves them to <see cref="DashboardAccessFilter"/>.</summary>
public sealed class DashboardEndpoint
{
    public static DashboardEndpoint Instance { get; } = new();

    private DashboardEndpoint()
    {
    }
}

/// <summary>
/// The web dashboard (docs/dashboard.md): Razor Pages under /ui, rendered on the server, no script. The pages call
/// the same services and the same access check as the API; forms carry an antiforgery token.
/// </summary>
public static class DashboardSetup
{
    public const string PathBase = "/ui";

    /// <summary>Own stylesheet only; no script of any kind; forms post to this origin; never framed.</summary>
    public const string ContentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    private const string StylesheetResource = "dashboard/dashboard.css";

    internal static void AddDashboard(IServiceCollection services)
    {
        services.AddRazorPages(o =>
        {
            o.RootDirectory = "/Dashboard/Pages";
            o.Conventions.ConfigureFilter(new DashboardAccessFilter());
        }).AddApplicationPart(typeof(DashboardSetup).Assembly);
        services.AddAntiforgery(o =>
        {
            // Antiforgery refuses SecurePolicy=Always on a plain-HTTP request, and the server sees plain HTTP behind
            // its TLS proxy; so this cookie follows the request (no __Host- prefix, which needs Secure). It is only the
            // double-submit half of the form token, HttpOnly and SameSite=Strict; the session cookie stays __Host-.
            o.Cookie.Name = "rampart-af";
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.Path = "/";
            o.FormFieldName = "__csrf";

            // SecurityHeaders already sends X-Frame-Options: DENY and frame-ancestors 'none' on every answer.
            o.SuppressXFrameOptionsHeader = true;
        });
    }

    internal static void MapDashboard(WebApplication app)
    {
        app.MapRazorPages().WithMetadata(DashboardEndpoint.Instance);

        // The stylesheet is needed before sign-in; it holds nothing but styles. Mapped for every method (405 for
        // all but GET/HEAD) so it stays out of the API's per-method authorisation matrix.
        app.Map(PathBase + "/dashboard.css", ServeStylesheetAsync).WithMetadata(DashboardEndpoint.Instance);
    }

    private static async Task ServeStylesheetAsync(HttpContext context)
    {
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }

        await using var stream = typeof(DashboardSetup).Assembly.GetManifestResourceStream(StylesheetResource)
            ?? throw new InvalidOperationException("the dashboard stylesheet is not embedded");
        context.Response.ContentType = "text/css; charset=utf-8";
        context.Response.Headers.CacheControl = "private, max-age=3600";
        context.Response.ContentLength = stream.Length;
        if (HttpMethods.IsGet(context.Request.Method))
        {
            await stream.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        }
    }
}
