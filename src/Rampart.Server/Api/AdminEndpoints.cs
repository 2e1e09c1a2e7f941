using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Rampart.Server.Data;
using Rampart.Server.Hosting;
using Rampart.Server.Identity;
using Rampart.Server.Registry;

namespace Rampart.Server.Api;

public sealed record NewUserRequest(string? UserName, string? Password, string? Email, bool ServerAdmin = false);

public sealed record NewProjectRequest(string? Name);

public sealed record RoleRequest(string? Role);

public sealed record KeyRequest(string? Name, string? Pem);

/// <summary>Users, projects, members, trusted keys and the audit log. Every permission change is audited.</summary>
internal static class AdminEndpoints
{
    public static void Map(IEndpointRouteBuilder api)
    {
        api.Map("GET", "/users", Requires.ServerAdmin, ListUsersAsync);
        api.Map("POST", "/users", Requires.ServerAdmin, CreateUserAsync);
        api.Map("POST", "/users/{user}/unlock", Requires.ServerAdmin, UnlockAsync);
        api.Map("GET", "/projects", Requires.User, ListProjectsAsync);
        api.Map("POST", "/projects", Requires.ServerAdmin, CreateProjectAsync);
        api.Map("GET", "/audit", Requires.ServerAdmin, AuditAsync);
        api.Map("GET", "/projects/{project}", Requires.In(Operation.Read), GetProject);
        api.Map("GET", "/projects/{project}/members", Requires.In(Operation.Read), MembersAsync);
        api.Map("PUT", "/projects/{project}/members/{user}", Requires.In(Operation.Manage), SetRoleAsync);
        api.Map("DELETE", "/projects/{project}/members/{user}", Requires.In(Operation.Manage), RemoveMemberAsync);
        api.Map("GET", "/projects/{project}/keys", Requires.In(Operation.Read), KeysAsync);
        api.Map("POST", "/projects/{project}/keys", Requires.In(Operation.Manage), AddKeyAsync);
        api.Map("DELETE", "/projects/{project}/keys/{key}", Requires.In(Operation.Manage), RetireKeyAsync);
    }

    private static async Task<IResult> ListUsersAsync(ServerDb db, CancellationToken cancellationToken)
    {
        var users = await db.Users.OrderBy(u => u.UserName).Select(u => new { u.UserName, u.Email, serverAdmin = u.IsServerAdmin, mfaEnrolled = u.TotpEnabled, lockedUntil = u.LockoutEnd }).ToListAsync(cancellationToken).ConfigureAwait(false);
        return Results.Json(users);
    }

    private static async Task<IResult> CreateUserAsync(HttpContext context, NewUserRequest request, UserManager<ServerUser> users, ServerDb db, AuditTrail audit, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!Names.IsName(request.UserName) || request.Password is null)
        {
            throw ApiException.BadRequest("a user needs a name (letters, digits, '.', '_', '-') and a password");
        }

        var user = new ServerUser { UserName = request.UserName, Email = request.Email, IsServerAdmin = request.ServerAdmin, CreatedAt = time.GetUtcNow(), LockoutEnabled = true };
        var created = await users.CreateAsync(user, request.Password).ConfigureAwait(false);
        if (!created.Succeeded)
        {
            throw ApiException.BadRequest(string.Join(" ", created.Errors.Select(e => e.Description)));
        }

        await audit.WriteAsync(db, context, Http.CallerOf(context).UserName, "user.created", detail: $"{user.UserName}{(user.IsServerAdmin ? " (server admin)" : "")}", cancellationToken: cancellationToken).ConfigureAwait(false);
        return Results.Json(new { user = user.UserName }, statusCode: 201);
    }

    private static async Task<IResult> UnlockAsync(HttpContext context, string user, UserManager<ServerUser> users, ServerDb db, AuditTrail audit, CancellationToken cancellationToken)
    {
        var account = await users.FindByNameAsync(user).ConfigureAwait(false) ?? throw ApiException.NotFound("no such user");
        await users.SetLockoutEndDateAsync(account, null).ConfigureAwait(false);
        await users.ResetAccessFailedCountAsync(account).ConfigureAwait(false);
        await audit.WriteAsync(db, context, Http.CallerOf(context).UserName, "user.unlocked", detail: account.UserName, cancellationToken: cancellationToken).ConfigureAwait(false);
        return Results.NoContent();
    }

    private static async Task<IResult> ListProjectsAsync(HttpContext context, ServerDb db, CancellationToken cancellationToken)
    {
        var caller = Http.CallerOf(context);
        var admin = await db.Users.AnyAsync(u => u.Id == caller.UserId && u.IsServerAdmin, cancellationToken).ConfigureAwait(false);
        var query = admin ? db.Projects : db.Projects.Where(p => db.Memberships.Any(m => m.ProjectId == p.Id && m.UserId == caller.UserId));
        if (caller.TokenProject is { } only)
        {
            query = query.Where(p => p.Id == only);
        }

        return Results.Json(await query.OrderBy(p => p.Name).Select(p => new { p.Name, p.CreatedAt }).ToListAsync(cancellationToken).ConfigureAwait(false));
    }

    private static async Task<IResult> CreateProjectAsync(HttpContext context, NewProjectRequest request, ServerDb db, AuditTrail audit, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!Names.IsName(request.Name))
        {
            throw ApiException.BadRequest("a project name is letters, digits, '.', '_', '-' (at most 100)");
        }

        if (await db.Projects.AnyAsync(p => p.Name == request.Name, cancellationToken).ConfigureAwait(false))
        {
            throw ApiException.Conflict("a project of that name exists");
        }

        db.Projects.Add(new Project { Name = request.Name!, CreatedAt = time.GetUtcNow() });
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await audit.WriteAsync(db, context, Http.CallerOf(context).UserName, "project.created", request.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
        return Results.Json(new { name = request.Name }, statusCode: 201);
    }

    private static async Task<IResult> AuditAsync(ServerDb db, long? after, int? limit, CancellationToken cancellationToken)
    {
        var from = after ?? 0;
        var take = Math.Clamp(limit ?? 100, 1, 1000);
        var rows = await db.AuditEvents.Where(e => e.Id > from).OrderBy(e => e.Id).Take(take).ToListAsync(cancellationToken).ConfigureAwait(false);
        return Results.Json(rows);
    }

    private static IResult GetProject(HttpContext context)
    {
        var project = Http.ProjectOf(context);
        return Results.Json(new { project.Name, project.CreatedAt, role = context.Items[AccessMiddleware.RoleItem] });
    }

    private static async Task<IResult> MembersAsync(HttpContext context, ServerDb db, CancellationToken cancellationToken)
    {
        var project = Http.ProjectOf(context);
        var rows = await (from m in db.Memberships join u in db.Users on m.UserId equals u.Id where m.ProjectId == project.Id orderby u.UserName select new { user = u.UserName, role = m.Role, mfaEnrolled = u.TotpEnabled }).ToListAsync(cancellationToken).ConfigureAwait(false);
        return Results.Json(rows);
    }

    private static async Task<IResult> SetRoleAsync(HttpContext context, string user, RoleRequest request, ServerDb db, AuditTrail audit, CancellationToken cancellationToken)
    {
        var project = Http.ProjectOf(context);
        if (!ProjectRoles.IsRole(request.Role))
        {
            throw ApiException.BadRequest($"role must be one of {string.Join(", ", ProjectRoles.Grants.Keys.Order(StringComparer.Ordinal))}");
        }

        var account = await db.Users.FirstOrDefaultAsync(u => u.UserName == user, cancellationToken).ConfigureAwait(false) ?? throw ApiException.NotFound("no such user");
        var membership = await db.Memberships.FirstOrDefaultAsync(m => m.ProjectId == project.Id && m.UserId == account.Id, cancellationToken).ConfigureAwait(false);
        var before = membership?.Role;
        if (membership is null)
        {
            db.Memberships.Add(new Membership { ProjectId = project.Id, UserId = account.Id, Role = request.Role! });
        }
        else
        {
            membership.Role = request.Role!;
        }

        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await audit.WriteAsync(db, context, Http.CallerOf(context).Display, "role.set", project.Name, $"{account.UserName}: {before ?? "none"} -> {request.Role}", cancellationToken).ConfigureAwait(false);
        return Results.Json(new { user = account.UserName, role = request.Role, mfaRequired = ProjectRoles.NeedsMfa(request.Role!) && !account.TotpEnabled });
    }

    private static async Task<IResult> RemoveMemberAsync(HttpContext context, string user, ServerDb db, AuditTrail audit, CancellationToken cancellationToken)
    {
        var project = Http.ProjectOf(context);
        var membership = await (from m in db.Memberships join u in db.Users on m.UserId equals u.Id where m.ProjectId == project.Id && u.UserName == user select m).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false)
            ?? throw ApiException.NotFound("no such member");
        db.Memberships.Remove(membership);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await audit.WriteAsync(db, context, Http.CallerOf(context).Display, "role.removed", project.Name, $"{user}: {membership.Role} -> none", cancellationToken).ConfigureAwait(false);
        return Results.NoContent();
    }

    private static async Task<IResult> KeysAsync(HttpContext context, ServerDb db, CancellationToken cancellationToken)
    {
        var project = Http.ProjectOf(context);
        var keys = await db.TrustedKeys.Where(k => k.ProjectId == project.Id).OrderBy(k => k.Id).ToListAsync(cancellationToken).ConfigureAwait(false);
        return Results.Json(keys.Select(k => new { id = k.Id, k.Name, k.Pem, k.AddedAt, k.RetiredAt }));
    }

    private static async Task<IResult> AddKeyAsync(HttpContext context, KeyRequest request, ServerDb db, AuditTrail audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var project = Http.ProjectOf(context);
        if (!Names.IsName(request.Name) || request.Pem is not { Length: > 0 and < 20_000 })
        {
            throw ApiException.BadRequest("a key needs a name and a PEM public key");
        }

        if (!Http.IsEcPublicKey(request.Pem))
        {
            throw ApiException.BadRequest("not an ECDSA public key in PEM (model signatures are ECDSA P-256/P-384/P-521)");
        }

        var row = new TrustedKey { ProjectId = project.Id, Name = request.Name!, Pem = request.Pem, AddedAt = time.GetUtcNow() };
        db.TrustedKeys.Add(row);
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await audit.WriteAsync(db, context, Http.CallerOf(context).Display, "key.added", project.Name, row.Name, cancellationToken).ConfigureAwait(false);
        return Results.Json(new { id = row.Id, row.Name }, statusCode: 201);
    }

    private static async Task<IResult> RetireKeyAsync(HttpContext context, long key, ServerDb db, AuditTrail audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var project = Http.ProjectOf(context);
        var row = await db.TrustedKeys.FirstOrDefaultAsync(k => k.Id == key && k.ProjectId == project.Id, cancellationToken).ConfigureAwait(false) ?? throw ApiException.NotFound("no such key");
        row.RetiredAt ??= time.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await audit.WriteAsync(db, context, Http.CallerOf(context).Display, "key.retired", project.Name, row.Name, cancellationToken).ConfigureAwait(false);
        return Results.NoContent();
    }
}
