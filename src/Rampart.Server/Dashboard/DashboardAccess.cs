using System.Reflection;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Rampart.Server.Hosting;
using Rampart.Server.Identity;

namespace Rampart.Server.Dashboard;

/// <summary>
/// Who may open a dashboard page or post one of its forms, as the API's <see cref="Requires"/>. On a page class it
/// covers the page (GET); on a handler method it replaces the page's rule for that form. A page without it is refused.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false)]
public sealed class DashboardAccessAttribute(AccessLevel level, Operation operation = Operation.Read) : Attribute
{
    public AccessLevel Level { get; } = level;

    public Operation Operation { get; } = operation;

    public Requires Requires => new(Level, Operation);
}

/// <summary>
/// The dashboard's gate, run before every page handler: no rule → refused; anonymous pages pass; strangers are sent
/// to sign in; API tokens are refused (pages are for browser sessions); then the API's own
/// <see cref="AccessMiddleware.CheckAsync"/> decides (roles per project, MFA for privileged work, 403 for a project
/// the caller has no role in, 404 for one that does not exist). Antiforgery tokens on posts are checked by Razor Pages.
/// </summary>
internal sealed class DashboardAccessFilter : IAsyncPageFilter
{
    public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

    public async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var access = context.HandlerMethod?.MethodInfo.GetCustomAttribute<DashboardAccessAttribute>()
            ?? context.HandlerInstance.GetType().GetCustomAttribute<DashboardAccessAttribute>();
        if (access is null)
        {
            context.Result = Refusal(403, "This page has no access rule, so nobody may open it.");
            return;
        }

        if (access.Level != AccessLevel.Anonymous)
        {
            var http = context.HttpContext;
            if (Caller.From(http.User) is not { } caller)
            {
                var back = http.Request.Path + http.Request.QueryString;
                context.Result = HttpMethodsAreSafe(http.Request.Method)
                    ? new RedirectResult($"{DashboardSetup.PathBase}/sign-in?next={Uri.EscapeDataString(back)}")
                    : Refusal(401, "Your session ended. Sign in again.");
                return;
            }

            if (caller.IsToken)
            {
                context.Result = Refusal(403, "Dashboard pages need a signed-in browser session, not an API token.");
                return;
            }

            var refusal = await AccessMiddleware.CheckAsync(http, access.Requires, caller).ConfigureAwait(false);
            if (refusal is { } r)
            {
                context.Result = Refusal(r.Status, r.Message, r.Code == "mfa_required");
                return;
            }
        }

        await next().ConfigureAwait(false);
    }

    private static bool HttpMethodsAreSafe(string method) => Microsoft.AspNetCore.Http.HttpMethods.IsGet(method) || Microsoft.AspNetCore.Http.HttpMethods.IsHead(method);

    /// <summary>A small page saying why, with the status; the message is encoded (it can quote names).</summary>
    internal static ContentResult Refusal(int status, string message, bool offerMfa = false)
    {
        var title = status switch { 401 => "Sign in", 404 => "Not found", _ => "Not allowed" };
        var html = $"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{title} · Rampart</title><link rel="stylesheet" href="{DashboardSetup.PathBase}/dashboard.css"></head>
            <body><main id="main"><h1>{title}</h1><p class="refusal">{HtmlEncoder.Default.Encode(message)}</p>
            <p>{(offerMfa ? $"<a href=\"{DashboardSetup.PathBase}/account\">Enrol TOTP</a> · " : "")}<a href="{DashboardSetup.PathBase}/">Projects</a> · <a href="{DashboardSetup.PathBase}/sign-in">Sign in</a></p></main></body></html>
            """;
        return new ContentResult { StatusCode = status, ContentType = "text/html; charset=utf-8", Content = html };
    }
}
