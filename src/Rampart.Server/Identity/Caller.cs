using System.Security.Claims;

namespace Rampart.Server.Identity;

/// <summary>Claim names of the server's principals.</summary>
public static class ServerClaims
{
    public const string UserId = "rampart:uid";
    public const string UserName = "rampart:name";
    public const string Session = "rampart:sid";
    public const string Csrf = "rampart:csrf";
    public const string Mfa = "rampart:mfa";
    public const string Stamp = "rampart:stamp";
    public const string TokenId = "rampart:token";
    public const string TokenProject = "rampart:token-project";
    public const string TokenOperations = "rampart:token-ops";
}

/// <summary>The authenticated caller of one request, read from its claims.</summary>
public sealed record Caller(string UserId, string UserName, bool MfaPassed, string? TokenId, long? TokenProject, IReadOnlySet<Operation>? TokenOperations)
{
    public bool IsToken => TokenId is not null;

    /// <summary>Who, for audit entries and ledger records: "alice" or "alice (token rmp_...)".</summary>
    public string Display => TokenId is null ? UserName : $"{UserName} (token {TokenId})";

    public static Caller? From(ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        var id = principal.FindFirstValue(ServerClaims.UserId);
        if (id is null || principal.Identity?.IsAuthenticated != true)
        {
            return null;
        }

        var token = principal.FindFirstValue(ServerClaims.TokenId);
        long? project = long.TryParse(principal.FindFirstValue(ServerClaims.TokenProject), System.Globalization.CultureInfo.InvariantCulture, out var p) ? p : null;
        var operations = token is null ? null : Tokens.ParseOperations(principal.FindFirstValue(ServerClaims.TokenOperations) ?? "");
        return new Caller(id, principal.FindFirstValue(ServerClaims.UserName) ?? id, principal.FindFirstValue(ServerClaims.Mfa) == "1", token, project, operations);
    }
}
