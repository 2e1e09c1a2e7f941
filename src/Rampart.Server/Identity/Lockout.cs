using Microsoft.EntityFrameworkCore;
using Rampart.Server.Data;
using Rampart.Server.Hosting;

namespace Rampart.Server.Identity;

/// <summary>
/// Brute-force lockout on the server's <see cref="TimeProvider"/>. Identity's UserManager decides lockout with
/// DateTimeOffset.UtcNow (Microsoft.Extensions.Identity.Core 10 takes no TimeProvider), which the sessions, tokens and
/// tests here do not share; so the count and the lock live here. The failure count is raised by one SQL UPDATE, so
/// parallel guesses cannot lose counts to each other the way read-modify-write through UserManager can.
/// </summary>
internal static class Lockout
{
    public static bool IsLockedOut(ServerUser user, TimeProvider time) =>
        user.LockoutEnabled && user.LockoutEnd is { } until && until > time.GetUtcNow();

    /// <summary>Counts a failed password or code; the failure that reaches the limit locks the account and starts the count again.</summary>
    public static async Task FailedAsync(ServerDb db, ServerUser user, ServerOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(options);
        if (!user.LockoutEnabled)
        {
            return;
        }

        await db.Users.Where(u => u.Id == user.Id).ExecuteUpdateAsync(s => s.SetProperty(u => u.AccessFailedCount, u => u.AccessFailedCount + 1), cancellationToken).ConfigureAwait(false);
        var until = options.Time.GetUtcNow() + options.LockoutDuration;
        var locked = await db.Users.Where(u => u.Id == user.Id && u.AccessFailedCount >= options.MaxFailedLogins)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.LockoutEnd, until).SetProperty(u => u.AccessFailedCount, 0), cancellationToken).ConfigureAwait(false);
        if (locked > 0)
        {
            user.LockoutEnd = until;
        }
    }
}
