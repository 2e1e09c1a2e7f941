using Microsoft.AspNetCore.Http;

namespace Rampart.Server.Hosting;

/// <summary>Headers on every response: no sniffing, no framing, no scripts or resources from an API answer, no caching, HSTS (honoured behind the TLS proxy).</summary>
public static class SecurityHeaders
{
    public static Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);

        // Applied as the headers go out, so an error answer written after Response.Clear() carries them too.
        context.Response.OnStarting(() =>
        {
            Apply(context.Response.Headers);
            if (context.Request.Path.StartsWithSegments(Dashboard.DashboardSetup.PathBase, StringComparison.Ordinal))
            {
                // Dashboard pages load their own stylesheet and post forms to themselves; still no script, no framing.
                context.Response.Headers.ContentSecurityPolicy = Dashboard.DashboardSetup.ContentSecurityPolicy;
            }

            return Task.CompletedTask;
        });
        return next();
    }

    private static void Apply(IHeaderDictionary headers)
    {
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers.ContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
        headers.StrictTransportSecurity = "max-age=31536000; includeSubDomains";
        if (string.IsNullOrEmpty(headers.CacheControl))
        {
            headers.CacheControl = "no-store";
        }
    }
}
