using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Rampart.Server.Data;
using Rampart.Server.Identity;

namespace Rampart.Server.Hosting;

/// <summary>
/// The one place that decides who may call what, before any body is read: the endpoint's <see cref="Requires"/>
/// (none: refused), the caller (none: 401), CSRF for cookie sessions on state changes, then the level: session
/// only, server admin with MFA, or project role x operation (token scope and operations, MFA for privileged work).
/// A caller without a role in a project gets 403 whether or not the project exists (no enumeration).
/// </summary>
public static class AccessMiddleware
{
    public const string ProjectItem = "rampart.project";
    public const string RoleItem = "rampart.role";
    public const string CsrfHeader = "X-CSRF-Token";

    public static async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var endpoint = context.GetEndpoint();
        if (endpoint is null)
        {
            await next().ConfigureAwait(false);
            return;
        }

        if (endpoint.Metadata.GetMetadata<Dashboard.DashboardEndpoint>() is not null)
        {
            // Dashboard pages answer in HTML: their filter applies CheckAsync below per page and per form handler, and
            // form posts carry an antiforgery token instead of the CSRF header (Dashboard/DashboardAccess.cs).
            await next().ConfigureAwait(false);
            return;
        }

        var requires = endpoint.Metadata.GetMetadata<Requires>();
        if (requires is null)
        {
            await ApiErrors.WriteAsync(context, 403, "forbidden", "this endpoint has no access rule, so nobody may call it").ConfigureAwait(false);
            return;
        }

        if (requires.Level == AccessLevel.Anonymous)
        {
            await next().ConfigureAwait(false);
            return;
        }

        if (Caller.From(context.User) is not { } caller)
        {
            await ApiErrors.WriteAsync(context, 401, "unauthenticated", "sign in or send an API token (Authorization: Bearer rmp_...)").ConfigureAwait(false);
            return;
        }

        if (!caller.IsToken && !HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method) && !CsrfMatches(context))
        {
            await ApiErrors.WriteAsync(context, 403, "csrf", $"state changes from a browser session need the {CsrfHeader} header returned at login").ConfigureAwait(false);
            return;
        }

        var refusal = await CheckAsync(context, requires, caller).ConfigureAwait(false);
        if (refusal is { } r)
        {
            await ApiErrors.WriteAsync(context, r.Status, r.Code, r.Message).ConfigureAwait(false);
            return;
        }

        await next().ConfigureAwait(false);
    }

    private static bool CsrfMatches(HttpContext context)
    {
        var expected = context.User.FindFirst(ServerClaims.Csrf)?.Value;
        var presented = context.Request.Headers[CsrfHeader].ToString();
        return expected is not null && presented.Length > 0
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(presented));
    }

    /// <summary>The access rule for <paramref name="requires"/> (no CSRF check): null when allowed, else the refusal. The API and the dashboard both decide here.</summary>
    internal static async Task<(int Status, string Code, string Message)?> CheckAsync(HttpContext context, Requires requires, Caller caller)
    {
        var db = context.RequestServices.GetService(typeof(ServerDb)) as ServerDb ?? throw new InvalidOperationException("no database");
        switch (requires.Level)
        {
            case AccessLevel.User:
                return null;
            case AccessLevel.Session:
                return caller.IsToken ? (403, "session_required", "this needs a signed-in session, not an API token") : null;
            case AccessLevel.ServerAdmin:
            {
                if (caller.IsToken)
                {
                    return (403, "session_required", "server administration needs a signed-in session, not an API token");
                }

                var isAdmin = await db.Users.AnyAsync(u => u.Id == caller.UserId && u.IsServerAdmin, context.RequestAborted).ConfigureAwait(false);
                return !isAdmin ? (403, "forbidden", "server administrators only")
                    : !caller.MfaPassed ? (403, "mfa_required", "administrators must enrol TOTP and sign in with a code")
                    : null;
            }

            default:
                return await CheckProjectAsync(context, db, requires.Operation, caller).ConfigureAwait(false);
        }
    }

    private static async Task<(int Status, string Code, string Message)?> CheckProjectAsync(HttpContext context, ServerDb db, Operation operation, Caller caller)
    {
        var name = context.Request.RouteValues["project"] as string;
        var project = name is null ? null : await db.Projects.FirstOrDefaultAsync(p => p.Name == name, context.RequestAborted).ConfigureAwait(false);
        if (caller.IsToken)
        {
            if (project is null || caller.TokenProject != project.Id)
            {
                return (403, "forbidden", "this token is scoped to another project");
            }

            if (caller.TokenOperations is null || !caller.TokenOperations.Contains(operation))
            {
                return (403, "forbidden", $"this token does not allow '{operation.ToString().ToLowerInvariant()}'");
            }
        }

        string? role = null;
        if (await db.Users.AnyAsync(u => u.Id == caller.UserId && u.IsServerAdmin, context.RequestAborted).ConfigureAwait(false))
        {
            role = ProjectRoles.Admin;
        }
        else if (project is not null)
        {
            role = await db.Memberships.Where(m => m.ProjectId == project.Id && m.UserId == caller.UserId).Select(m => m.Role).FirstOrDefaultAsync(context.RequestAborted).ConfigureAwait(false);
        }

        if (role is null || !ProjectRoles.Grants.TryGetValue(role, out var grants) || !grants.Contains(operation))
        {
            return (403, "forbidden", $"your role in this project does not allow '{operation.ToString().ToLowerInvariant()}'");
        }

        if (ProjectRoles.IsPrivileged(operation) && !caller.MfaPassed)
        {
            return (403, "mfa_required", "reviewer and admin work needs TOTP: enrol it and sign in with a code");
        }

        if (project is null)
        {
            return (404, "not_found", "no such project");
        }

        context.Items[ProjectItem] = project;
        context.Items[RoleItem] = role;
        return null;
    }
}
