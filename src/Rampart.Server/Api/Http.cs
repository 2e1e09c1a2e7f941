using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Rampart.Server.Data;
using Rampart.Server.Hosting;
using Rampart.Server.Identity;

namespace Rampart.Server.Api;

/// <summary>Small helpers shared by the endpoint groups.</summary>
internal static class Http
{
    /// <summary>Maps an endpoint with its access rule (the access middleware refuses endpoints without one).</summary>
    public static RouteHandlerBuilder Map(this IEndpointRouteBuilder routes, string method, string pattern, Requires requires, Delegate handler) =>
        routes.MapMethods(pattern, [method], handler).WithMetadata(requires);

    public static Caller CallerOf(HttpContext context) => Caller.From(context.User) ?? throw new ApiException(401, "unauthenticated", "sign in first");

    /// <summary>Whether <paramref name="pem"/> holds an ECDSA key (what model signatures are verified with).</summary>
    public static bool IsEcPublicKey(string pem)
    {
        try
        {
            using var key = System.Security.Cryptography.ECDsa.Create();
            key.ImportFromPem(pem);
            return true;
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            return false;
        }
    }

    public static Project ProjectOf(HttpContext context) => context.Items[AccessMiddleware.ProjectItem] as Project ?? throw new InvalidOperationException("the access middleware did not resolve the project");
}
