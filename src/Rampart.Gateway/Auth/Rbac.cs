using Rampart.Gateway.Config;
using Rampart.Guard.Pipeline;

namespace Rampart.Gateway.Auth;

/// <summary>Role-based access: principal or role x route x model x operation. Deny by default.</summary>
internal static class Rbac
{
    /// <summary>Whether any rule could let the principal do the operation here, whatever the model (checked before the body is read).</summary>
    public static bool MayUseRoute(RouteConfig route, GuardPrincipal principal, string operation) =>
        route.Allow.Any(rule => Matches(rule, principal, operation));

    public static bool Allows(RouteConfig route, GuardPrincipal principal, string operation, string? model) =>
        route.Allow.Any(rule => Matches(rule, principal, operation)
            && (rule.Models.IsDefaultOrEmpty || (model is not null && rule.Models.Contains(model, StringComparer.Ordinal))));

    private static bool Matches(AllowRule rule, GuardPrincipal principal, string operation) =>
        (rule.Principal is null || rule.Principal == principal.Id)
        && (rule.Role is null || principal.Roles.Contains(rule.Role, StringComparer.Ordinal))
        && (rule.Operations.Contains("*", StringComparer.Ordinal) || rule.Operations.Contains(operation, StringComparer.Ordinal));
}
