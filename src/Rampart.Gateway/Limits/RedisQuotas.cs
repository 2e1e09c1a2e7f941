using System.Globalization;
using Rampart.Gateway.Config;
using StackExchange.Redis;

namespace Rampart.Gateway.Limits;

/// <summary>
/// Limits kept in a Redis shared by every gateway replica, so N replicas enforce one quota. Each check is one Lua
/// script, atomic on the server: refuse while the token window is spent, else INCR the request counter of the current
/// fixed one-minute window (PEXPIRE set by the request that opens it) and refuse past the limit. Windows run on
/// Redis's clock (key expiry), so replica clocks need not agree; Retry-After is the window's remaining PTTL.
/// When Redis cannot be reached, <see cref="RedisConfig.FailOpen"/> decides: refuse (503, the default) or let
/// requests through uncounted; either way the failure is logged and counted in metrics.
/// </summary>
internal sealed class RedisQuotas(IDatabase database, string prefix) : IQuotas
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private const string AcquireScript = """
        local tokenLimit = tonumber(ARGV[2])
        if tokenLimit > 0 then
          local used = tonumber(redis.call('GET', KEYS[2]) or '0')
          if used >= tokenLimit then return redis.call('PTTL', KEYS[2]) end
        end
        local limit = tonumber(ARGV[1])
        if limit > 0 then
          local n = redis.call('INCR', KEYS[1])
          if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
          if n > limit then return redis.call('PTTL', KEYS[1]) end
        end
        return -10
        """;

    private const string ChargeScript = """
        local n = redis.call('INCRBY', KEYS[1], ARGV[1])
        if n == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
        return n
        """;

    private static readonly string WindowMs = ((long)Window.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);

    public async ValueTask<int?> TryAcquireAsync(RouteConfig route, string principal, CancellationToken cancellationToken)
    {
        if (route.RateLimit.RequestsPerMinute <= 0 && route.RateLimit.TokensPerMinute <= 0)
        {
            return null;
        }

        var result = (long)await database.ScriptEvaluateAsync(AcquireScript, [Key(route, principal, "r"), Key(route, principal, "t")],
            [route.RateLimit.RequestsPerMinute, route.RateLimit.TokensPerMinute, WindowMs]).ConfigureAwait(false);

        // -10: allowed. Otherwise the window's remaining milliseconds (-1/-2 cannot happen inside the script's window; read as a full window).
        return result == -10 ? null : Math.Max(1, (int)Math.Ceiling((result < 0 ? Window.TotalMilliseconds : result) / 1000.0));
    }

    public async ValueTask ChargeTokensAsync(RouteConfig route, string principal, long tokens, CancellationToken cancellationToken)
    {
        if (route.RateLimit.TokensPerMinute > 0 && tokens > 0)
        {
            await database.ScriptEvaluateAsync(ChargeScript, [Key(route, principal, "t")], [tokens, WindowMs]).ConfigureAwait(false);
        }
    }

    /// <summary>prefix + route + principal, ':' in names doubled so two different pairs never share a key.</summary>
    private RedisKey Key(RouteConfig route, string principal, string kind) =>
        $"{prefix}quota:{Escape(route.Name)}:{Escape(principal)}:{kind}";

    private static string Escape(string s) => s.Replace(":", "::", StringComparison.Ordinal);
}
