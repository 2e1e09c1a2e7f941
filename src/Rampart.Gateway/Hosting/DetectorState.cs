using System.Collections.Concurrent;
using Rampart.Guard.Detectors.Drift;
using Rampart.Guard.Detectors.Extraction;
using Rampart.Guard.Pipeline;
using StackExchange.Redis;

namespace Rampart.Gateway.Hosting;

/// <summary>
/// What the ML detectors remember, kept outside the configuration snapshot so a policy reload does not reset it:
/// per route, the extraction detector's per-principal state (in Redis when the gateway has <c>redis:</c>, so every
/// replica sees one client as one; in memory otherwise) and the drift check's current window.
/// </summary>
internal sealed class DetectorState(IDatabase? redis, string redisPrefix)
{
    private static readonly TimeSpan ExtractionTtl = TimeSpan.FromHours(24);
    private readonly ConcurrentDictionary<string, IExtractionStateStore> _extraction = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Route, string Profile, int Rows), DriftCheck> _drift = new();

    public IExtractionStateStore Extraction(string route, ExtractionOptions options) =>
        _extraction.GetOrAdd(route, r => redis is null
            ? new InMemoryExtractionStateStore(options)
            : new RedisExtractionStateStore(redis, options, ExtractionTtl, $"{redisPrefix}extraction:{r}:"));

    public DriftCheck Drift(string route, string profilePath, int windowRows, Func<DataProfile> load) =>
        _drift.GetOrAdd((route, profilePath, windowRows), _ => new DriftCheck(load(), windowRows));
}

/// <summary>A check whose action is capped (e.g. a detector that blocks, configured to annotate only).</summary>
internal sealed class CappedInputCheck(IInputCheck inner, GuardAction max) : IInputCheck
{
    public string Id => inner.Id;

    public async ValueTask<GuardDecision> CheckAsync(GuardRequest request, GuardContext context, CancellationToken cancellationToken)
    {
        var decision = await inner.CheckAsync(request, context, cancellationToken).ConfigureAwait(false);
        return decision.Action > max ? decision with { Action = max } : decision;
    }
}
