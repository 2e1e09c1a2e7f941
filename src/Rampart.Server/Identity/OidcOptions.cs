using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rampart.Server.Identity;

/// <summary>An IdP group (or any claim value) that gives a role in one project.</summary>
public sealed record OidcRoleMapping(string Group, string Project, string Role)
{
    /// <summary>The claim holding <see cref="Group"/>; null: <see cref="OidcOptions.GroupsClaim"/>.</summary>
    public string? Claim { get; init; }
}

/// <summary>
/// Optional OpenID Connect single sign-on (docs/server.md, "Single sign-on"): authorization code flow with PKCE
/// against one IdP. A first login creates a local account that only this IdP can sign in to (linked by issuer and
/// subject, never by e-mail or name); project roles come from <see cref="Roles"/> at every login.
/// </summary>
public sealed record OidcOptions
{
    /// <summary>The issuer; its /.well-known/openid-configuration is read at first use. https unless <see cref="AllowInsecureLoopback"/>.</summary>
    public required string Authority { get; init; }

    public required string ClientId { get; init; }

    /// <summary>The client secret, read from a file or an environment variable by <see cref="Load"/>; null for a public client (PKCE alone).</summary>
    public string? ClientSecret { get; init; }

    /// <summary>The button's text: "Sign in with {DisplayName}".</summary>
    public string DisplayName { get; init; } = "single sign-on";

    public IReadOnlyList<string> Scopes { get; init; } = ["openid", "profile", "email"];

    /// <summary>The id_token claim that names the account at its first login.</summary>
    public string UserNameClaim { get; init; } = "preferred_username";

    /// <summary>The id_token claim listing the user's groups (one claim per group, or a JSON array).</summary>
    public string GroupsClaim { get; init; } = "groups";

    /// <summary>Group -> project role. Projects named here get their membership from the IdP at every login.</summary>
    public IReadOnlyList<OidcRoleMapping> Roles { get; init; } = [];

    /// <summary>Whether an <c>amr</c>/<c>acr</c> claim from the IdP may stand in for Rampart's own TOTP. Off: SSO reviewers and admins enrol TOTP here.</summary>
    public bool TrustIdpMfa { get; init; }

    /// <summary><c>amr</c> values (RFC 8176) that count as multi-factor when <see cref="TrustIdpMfa"/> is on.</summary>
    public IReadOnlyList<string> TrustedAmr { get; init; } = ["mfa"];

    /// <summary><c>acr</c> values that count as multi-factor when <see cref="TrustIdpMfa"/> is on.</summary>
    public IReadOnlyList<string> TrustedAcr { get; init; } = [];

    /// <summary>The server's public origin (https://rampart.example) for the redirect URI behind a TLS proxy; null: the request's own.</summary>
    public string? PublicUrl { get; init; }

    /// <summary>Tests only: allow an http:// authority when it is a loopback address. Any other http authority is refused.</summary>
    public bool AllowInsecureLoopback { get; init; }

    /// <summary>The path the IdP redirects back to (register {PublicUrl}/api/v1/auth/sso/callback at the IdP).</summary>
    public const string CallbackPath = "/api/v1/auth/sso/callback";

    /// <summary>Throws <see cref="ArgumentException"/> naming the first problem.</summary>
    public void Validate()
    {
        if (!Uri.TryCreate(Authority, UriKind.Absolute, out var authority) || authority.Scheme is not ("https" or "http"))
        {
            throw new ArgumentException($"oidc: authority must be an absolute https URL, not '{Authority}'");
        }

        if (authority.Scheme == "http" && !(AllowInsecureLoopback && IsLoopback(authority)))
        {
            throw new ArgumentException("oidc: the authority must use https (http is allowed only for a loopback test IdP with allowInsecureLoopback)");
        }

        if (string.IsNullOrWhiteSpace(ClientId))
        {
            throw new ArgumentException("oidc: clientId is required");
        }

        if (!Scopes.Contains("openid", StringComparer.Ordinal))
        {
            throw new ArgumentException("oidc: scopes must include 'openid'");
        }

        if (string.IsNullOrWhiteSpace(UserNameClaim) || string.IsNullOrWhiteSpace(GroupsClaim))
        {
            throw new ArgumentException("oidc: userNameClaim and groupsClaim must name a claim");
        }

        if (PublicUrl is not null && (!Uri.TryCreate(PublicUrl, UriKind.Absolute, out var pub) || pub.Scheme is not ("https" or "http") || pub.AbsolutePath != "/"))
        {
            throw new ArgumentException("oidc: publicUrl must be an origin such as https://rampart.example");
        }

        foreach (var mapping in Roles)
        {
            if (string.IsNullOrWhiteSpace(mapping.Group) || string.IsNullOrWhiteSpace(mapping.Project) || !ProjectRoles.IsRole(mapping.Role))
            {
                throw new ArgumentException($"oidc: role mapping {{group: '{mapping.Group}', project: '{mapping.Project}', role: '{mapping.Role}'}} needs a group, a project name and one of {string.Join(", ", ProjectRoles.Grants.Keys.Order(StringComparer.Ordinal))}");
            }
        }
    }

    /// <summary>
    /// Reads the JSON configuration of `rampart server --oidc FILE`. The client secret is never in the file: it comes
    /// from <c>clientSecretFile</c> or the environment variable named by <c>clientSecretEnv</c>.
    /// </summary>
    public static OidcOptions Load(string path, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        OidcFile file;
        try
        {
            file = JsonSerializer.Deserialize<OidcFile>(Rampart.Core.IO.BoundedFile.ReadAllText(path, 1 << 20), FileJson) ?? throw new ArgumentException($"oidc: {path} is empty");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new ArgumentException($"oidc: cannot read {path}: {e.Message}");
        }

        if (file.ClientSecret is not null)
        {
            throw new ArgumentException("oidc: do not put the client secret in the configuration file; name a file (clientSecretFile) or an environment variable (clientSecretEnv)");
        }

        string? secret = null;
        if (file.ClientSecretFile is { } secretFile)
        {
            try
            {
                secret = Rampart.Core.IO.BoundedFile.ReadAllText(Path.GetFullPath(secretFile, Path.GetDirectoryName(Path.GetFullPath(path))!), 64 << 10).Trim();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ArgumentException($"oidc: cannot read clientSecretFile: {e.Message}");
            }
        }
        else if (file.ClientSecretEnv is { } variable)
        {
            secret = environment(variable) is { Length: > 0 } value ? value : throw new ArgumentException($"oidc: the environment variable {variable} (clientSecretEnv) is not set");
        }

        var defaults = new OidcOptions { Authority = "", ClientId = "" };
        var options = new OidcOptions
        {
            Authority = file.Authority ?? "",
            ClientId = file.ClientId ?? "",
            ClientSecret = secret is { Length: > 0 } ? secret : null,
            DisplayName = file.DisplayName ?? defaults.DisplayName,
            Scopes = file.Scopes ?? defaults.Scopes,
            UserNameClaim = file.UserNameClaim ?? defaults.UserNameClaim,
            GroupsClaim = file.GroupsClaim ?? defaults.GroupsClaim,
            Roles = file.Roles?.Select(r => new OidcRoleMapping(r.Group ?? "", r.Project ?? "", r.Role ?? "") { Claim = r.Claim }).ToArray() ?? [],
            TrustIdpMfa = file.TrustIdpMfa ?? false,
            TrustedAmr = file.TrustedAmr ?? defaults.TrustedAmr,
            TrustedAcr = file.TrustedAcr ?? defaults.TrustedAcr,
            PublicUrl = file.PublicUrl,
            AllowInsecureLoopback = file.AllowInsecureLoopback ?? false,
        };
        options.Validate();
        return options;
    }

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address);

    private static readonly JsonSerializerOptions FileJson = new()
    {
        PropertyNameCaseInsensitive = false,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    private sealed record OidcFile(
        string? Authority, string? ClientId, string? ClientSecret, string? ClientSecretFile, string? ClientSecretEnv, string? DisplayName,
        string[]? Scopes, string? UserNameClaim, string? GroupsClaim, RoleFile[]? Roles, bool? TrustIdpMfa, string[]? TrustedAmr,
        string[]? TrustedAcr, string? PublicUrl, bool? AllowInsecureLoopback);

    private sealed record RoleFile(string? Group, string? Project, string? Role, string? Claim);
}
