using System.Diagnostics;
using Rampart.Guard.Audit;

namespace Rampart.Gateway.Hosting;

/// <summary>
/// The gateway's spans (ActivitySource <see cref="SourceName"/>): the guard's input and output checks, as children of
/// ASP.NET Core's request span, beside the upstream call's HttpClient span; the request span is tagged with the
/// route, principal, model, decision and rule ids (never bodies).
/// </summary>
internal static class GatewayTracing
{
    public const string SourceName = "Rampart.Gateway";

    public static readonly ActivitySource Source = new(SourceName);

    public static void Tag(Activity? activity, AuditEntry outcome)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag("rampart.route", outcome.Route);
        activity.SetTag("rampart.principal", outcome.Principal);
        activity.SetTag("rampart.model", outcome.Model);
        activity.SetTag("rampart.decision", outcome.Decision);
        activity.SetTag("rampart.rules", string.Join(",", outcome.Rules));
    }
}
