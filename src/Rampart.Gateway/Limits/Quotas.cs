using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Rampart.Gateway.Config;

namespace Rampart.Gateway.Limits;

/// <summary>
/// Per-principal, per-route (and so per-model) limits: requests per minute (a fixed one-minute window), and LLM tokens
/// per minute charged from the upstream's usage fields after each answer (a request is refused once the window's
/// tokens are spent). <see cref="LocalQuotas"/> counts in this process; <see cref="RedisQuotas"/> in a shared Redis,
/// so that every replica enforces one quota.
/// </summary>
internal interface IQuotas
{
    /// <summary>Null when the request may go on; otherwise the seconds to wait (Retry-After).</summary>
    ValueTask<int?> TryAcquireAsync(RouteConfig route, string principal, CancellationToken cancellationToken);

    ValueTask ChargeTokensAsync(RouteConfig route, string principal, long tokens, CancellationToken cancellationToken);
}

/// <summary>In-process limits: <see cref="PartitionedRateLimiter"/> for requests, a window per key for tokens. Each replica counts for itself.</summary>
internal sealed class LocalQuotas : IQuotas, IDisposable
{
    private readonly PartitionedRateLimiter<(string Route, string Principal, int Limit)> _requests;
    private readonly ConcurrentDictionary<(string Route, string Principal), TokenWindow> _tokens = new();
    private readonly TimeProvider _time;

    public LocalQuotas(TimeProvider time)
    {
        _time = time;
        _requests = PartitionedRateLimiter.Create<(string Route, string Principal, int Limit), (string, string)>(key =>
            RateLimitPartition.GetFixedWindowLimiter((key.Route, key.Principal), _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = key.Limit,
                Window = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
    }

    public ValueTask<int?> TryAcquireAsync(RouteConfig route, string principal, CancellationToken cancellationToken) => ValueTask.FromResult(TryAcquire(route, principal));

    public ValueTask ChargeTokensAsync(RouteConfig route, string principal, long tokens, CancellationToken cancellationToken)
    {
        ChargeTokens(route, principal, tokens);
        return ValueTask.CompletedTask;
    }

    private int? TryAcquire(RouteConfig route, string principal)
    {
        if (route.RateLimit.TokensPerMinute > 0 && _tokens.TryGetValue((route.Name, principal), out var window))
        {
            var wait = window.RetryAfter(route.RateLimit.TokensPerMinute, _time.GetUtcNow());
            if (wait is not null)
            {
                return wait;
            }
        }

        if (route.RateLimit.RequestsPerMinute <= 0)
        {
            return null;
        }

        using var lease = _requests.AttemptAcquire((route.Name, principal, route.RateLimit.RequestsPerMinute));
        if (lease.IsAcquired)
        {
            return null;
        }

        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retry) ? Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds)) : 60;
    }

    private void ChargeTokens(RouteConfig route, string principal, long tokens)
    {
        if (route.RateLimit.TokensPerMinute > 0 && tokens > 0)
        {
            _tokens.GetOrAdd((route.Name, principal), _ => new TokenWindow()).Add(tokens, _time.GetUtcNow());
        }
    }

    public void Dispose() => _requests.Dispose();

    private sealed class TokenWindow
    {
        private readonly Lock _lock = new();
        private DateTimeOffset _start;
        private long _used;

        public void Add(long tokens, DateTimeOffset now)
        {
            lock (_lock)
            {
                Roll(now);
                _used += tokens;
            }
        }

        public int? RetryAfter(long limit, DateTimeOffset now)
        {
            lock (_lock)
            {
                Roll(now);
                return _used >= limit ? Math.Max(1, (int)Math.Ceiling((_start.AddMinutes(1) - now).TotalSeconds)) : null;
            }
        }

        private void Roll(DateTimeOffset now)
        {
            if (now - _start >= TimeSpan.FromMinutes(1))
            {
                _start = now;
                _used = 0;
            }
        }
    }
}
