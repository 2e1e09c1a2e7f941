using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Rampart.Server.Data;

namespace Rampart.Server.Identity;

/// <summary>An SSO login's account and whether the IdP's MFA claim stands in for TOTP; or the refusal.</summary>
internal sealed record SsoOutcome(ServerUser? User, bool Mfa, string Detail);

/// <summary>
/// What a validated id_token means here (the OpenID Connect handler has already checked signature, issuer,
/// audience, expiry, nonce, state and PKCE). The account is found by the IdP's issuer and subject; a first login
/// creates it, SSO-managed (no password; only the IdP signs it in). E-mail and user name never link an IdP identity
/// to an existing account: whoever controls a name or an address at the IdP would otherwise take over the local
/// account of that name. Project roles of mapped projects follow the IdP's groups at every login.
/// </summary>
internal static class SingleSignOn
{
    public const string Scheme = "oidc";

    /// <summary>The Identity login provider of SSO accounts (AspNetUserLogins); the key is SHA-256(issuer, subject).</summary>
    public const string LoginProvider = "oidc";

    /// <summary>Role precedence when several mapped groups name the same project.</summary>
    private static readonly string[] Precedence = [ProjectRoles.Viewer, ProjectRoles.DataScientist, ProjectRoles.SecurityReviewer, ProjectRoles.Admin];

    public static string LoginKey(string issuer, string subject) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(issuer + "\n" + subject)));

    /// <summary>Whether an account signs in through the IdP only.</summary>
    public static async Task<bool> IsSsoManagedAsync(ServerDb db, string userId, CancellationToken cancellationToken) =>
        await db.UserLogins.AnyAsync(l => l.UserId == userId && l.LoginProvider == LoginProvider, cancellationToken).ConfigureAwait(false);

    public static async Task<SsoOutcome> ProvisionAsync(HttpContext context, ClaimsPrincipal principal, OidcOptions sso, UserManager<ServerUser> users, ServerDb db, AuditTrail audit, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(principal);
        ArgumentNullException.ThrowIfNull(sso);
        ArgumentNullException.ThrowIfNull(users);
        var issuer = principal.FindFirstValue("iss");
        var subject = principal.FindFirstValue("sub");
        if (string.IsNullOrEmpty(issuer) || string.IsNullOrEmpty(subject))
        {
            return new SsoOutcome(null, false, "the id_token has no issuer or subject");
        }

        var key = LoginKey(issuer, subject);
        var user = await users.FindByLoginAsync(LoginProvider, key).ConfigureAwait(false);
        if (user is null)
        {
            var name = principal.FindFirstValue(sso.UserNameClaim);
            if (!IsUserName(name))
            {
                return new SsoOutcome(null, false, $"the id_token's '{sso.UserNameClaim}' claim is missing or not a valid user name (letters, digits, '.', '_', '-', '@')");
            }

            if (await users.FindByNameAsync(name!).ConfigureAwait(false) is not null)
            {
                return new SsoOutcome(null, false, $"a local account named '{name}' exists; an IdP identity is never linked to it by name or e-mail");
            }

            var verified = string.Equals(principal.FindFirstValue("email_verified"), "true", StringComparison.OrdinalIgnoreCase);
            user = new ServerUser { UserName = name, Email = verified ? principal.FindFirstValue("email") : null, EmailConfirmed = verified, CreatedAt = time.GetUtcNow(), LockoutEnabled = true };
            var created = await users.CreateAsync(user).ConfigureAwait(false);
            var linked = created.Succeeded ? await users.AddLoginAsync(user, new UserLoginInfo(LoginProvider, key, $"{issuer} {subject}")).ConfigureAwait(false) : created;
            if (!linked.Succeeded)
            {
                if (created.Succeeded)
                {
                    await users.DeleteAsync(user).ConfigureAwait(false);
                }

                return new SsoOutcome(null, false, "cannot create the account: " + string.Join(" ", linked.Errors.Select(e => e.Description)));
            }

            await audit.WriteAsync(db, context, user.UserName!, "user.created", detail: $"{user.UserName} (SSO-managed, first login from {issuer})", cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        if (Lockout.IsLockedOut(user, time))
        {
            return new SsoOutcome(null, false, $"{user.UserName} is locked out");
        }

        await SyncRolesAsync(context, principal, sso, user, db, audit, cancellationToken).ConfigureAwait(false);
        return new SsoOutcome(user, TrustedMfa(principal, sso), "");
    }

    /// <summary>Whether the IdP's amr/acr claims may stand in for TOTP: only when configured to trust them.</summary>
    public static bool TrustedMfa(ClaimsPrincipal principal, OidcOptions sso)
    {
        ArgumentNullException.ThrowIfNull(principal);
        ArgumentNullException.ThrowIfNull(sso);
        return sso.TrustIdpMfa
            && (principal.FindAll("amr").Any(c => sso.TrustedAmr.Contains(c.Value, StringComparer.Ordinal))
                || principal.FindAll("acr").Any(c => sso.TrustedAcr.Contains(c.Value, StringComparer.Ordinal)));
    }

    /// <summary>Every project named in the mapping gets the highest role the user's groups map to there, or none; other projects keep their hand-made memberships.</summary>
    private static async Task SyncRolesAsync(HttpContext context, ClaimsPrincipal principal, OidcOptions sso, ServerUser user, ServerDb db, AuditTrail audit, CancellationToken cancellationToken)
    {
        var wanted = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var mapping in sso.Roles)
        {
            wanted.TryAdd(mapping.Project, null);
            if (principal.FindAll(mapping.Claim ?? sso.GroupsClaim).Any(c => c.Value == mapping.Group)
                && (wanted[mapping.Project] is not { } current || Array.IndexOf(Precedence, mapping.Role) > Array.IndexOf(Precedence, current)))
            {
                wanted[mapping.Project] = mapping.Role;
            }
        }

        var names = wanted.Keys.ToArray();
        var projects = await db.Projects.Where(p => names.Contains(p.Name)).ToListAsync(cancellationToken).ConfigureAwait(false);
        var ids = projects.Select(p => p.Id).ToArray();
        var memberships = await db.Memberships.Where(m => m.UserId == user.Id && ids.Contains(m.ProjectId)).ToListAsync(cancellationToken).ConfigureAwait(false);
        var changes = new List<(string Project, string? Before, string? After)>();
        foreach (var project in projects)
        {
            var membership = memberships.FirstOrDefault(m => m.ProjectId == project.Id);
            var role = wanted[project.Name];
            var before = membership?.Role;
            if (before == role)
            {
                continue;
            }

            if (role is null)
            {
                db.Memberships.Remove(membership!);
            }
            else if (membership is null)
            {
                db.Memberships.Add(new Membership { ProjectId = project.Id, UserId = user.Id, Role = role });
            }
            else
            {
                membership.Role = role;
            }

            changes.Add((project.Name, before, role));
        }

        if (changes.Count == 0)
        {
            return;
        }

        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        foreach (var (project, before, after) in changes)
        {
            await audit.WriteAsync(db, context, $"sso ({user.UserName})", after is null ? "role.removed" : "role.set", project, $"{user.UserName}: {before ?? "none"} -> {after ?? "none"} (IdP groups)", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A user name from the IdP: the registry's name characters plus '@' (user names are often e-mail addresses).</summary>
    private static bool IsUserName(string? name) =>
        name is { Length: > 0 and <= 100 } && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@') && !name.Contains("..", StringComparison.Ordinal) && name[0] != '.';
}
