using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Rampart.Server.Data;
using Rampart.Server.Hosting;
using Rampart.Server.Identity;

namespace Rampart.Server.Dashboard.Pages;

/// <summary>What every dashboard page model shares: the caller, the project the access check resolved, refusals as pages.</summary>
public abstract class DashboardPage : PageModel
{
    /// <summary>The signed-in caller (the access filter has let only callers through to non-anonymous pages).</summary>
    public Caller Caller => Caller.From(User) ?? throw new InvalidOperationException("no caller on a signed-in page");

    /// <summary>The route's project, resolved by the access check (the same one the API uses).</summary>
    public Project Project => HttpContext.Items[AccessMiddleware.ProjectItem] as Project ?? throw new InvalidOperationException("the access check did not resolve the project");

    /// <summary>The caller's role in <see cref="Project"/> (server administrators hold admin everywhere).</summary>
    public string Role => HttpContext.Items[AccessMiddleware.RoleItem] as string ?? "";

    /// <summary>Whether the caller's role in this project allows <paramref name="operation"/> (to show or hide a form; the post is checked again).</summary>
    public bool May(Operation operation) => ProjectRoles.Grants.TryGetValue(Role, out var grants) && grants.Contains(operation);

    /// <summary>Runs a state change; a refusal from the service (two-person rule, wrong state, bad input) becomes a page with its status.</summary>
    protected static async Task<IActionResult> ActAsync(Func<Task<IActionResult>> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (ApiException e)
        {
            return DashboardAccessFilter.Refusal(e.Status, e.Message);
        }
    }

    protected IActionResult NotFoundPage(string message) => DashboardAccessFilter.Refusal(404, message);
}
