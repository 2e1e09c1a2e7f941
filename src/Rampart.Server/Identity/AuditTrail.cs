using Microsoft.AspNetCore.Http;
using Rampart.Server.Data;

namespace Rampart.Server.Identity;

/// <summary>Writes the security audit: logins, MFA, token creation and use, role and key changes.</summary>
public sealed class AuditTrail(TimeProvider time)
{
    public async Task WriteAsync(ServerDb db, HttpContext? context, string actor, string action, string? project = null, string? detail = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        db.AuditEvents.Add(new AuditEvent
        {
            At = time.GetUtcNow(),
            Actor = Clip(actor, 200),
            Action = action,
            Project = project,
            Detail = detail is null ? null : Clip(detail, 2000),
            Address = context?.Connection.RemoteIpAddress?.ToString(),
        });
        await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string Clip(string text, int max) => text.Length <= max ? text : text[..max];
}
