using System.Threading.RateLimiting;

namespace Rampart.RedTeam.Harness;

/// <summary>
/// How fast the harness may hit a target: at most <c>concurrency</c> requests in flight and at most
/// <c>requestsPerSecond</c> started per second (a token bucket; 0 means no rate limit). Every request passes here.
/// </summary>
public sealed class RequestGate : IDisposable
{
    private readonly SemaphoreSlim _slots;
    private readonly TokenBucketRateLimiter? _rate;

    public RequestGate(int concurrency, double requestsPerSecond)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(requestsPerSecond);
        Concurrency = concurrency;
        _slots = new SemaphoreSlim(concurrency, concurrency);
        if (requestsPerSecond > 0)
        {
            // Refill in small steps so a rate like 5/s spreads over the second instead of arriving in one burst.
            var perTenth = Math.Max(1, (int)Math.Round(requestsPerSecond / 10));
            _rate = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = perTenth,
                TokensPerPeriod = perTenth,
                ReplenishmentPeriod = TimeSpan.FromSeconds(perTenth / requestsPerSecond),
                QueueLimit = int.MaxValue,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                AutoReplenishment = true,
            });
        }
    }

    public int Concurrency { get; }

    /// <summary>Runs <paramref name="request"/> once a slot and a token are free.</summary>
    public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_rate is not null)
        {
            using var lease = await _rate.AcquireAsync(1, cancellationToken).ConfigureAwait(false);
        }

        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await request(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _slots.Release();
        }
    }

    public void Dispose()
    {
        _slots.Dispose();
        _rate?.Dispose();
    }
}
