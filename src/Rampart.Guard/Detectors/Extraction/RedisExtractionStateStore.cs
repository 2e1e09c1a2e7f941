using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.InteropServices;
using StackExchange.Redis;

namespace Rampart.Guard.Detectors.Extraction;

/// <summary>
/// Per-principal extraction state in Redis, so that every gateway replica sees one client as one. Per principal: a
/// list of recent vectors (float32, little-endian), a list of minimum distances, a query counter, a set of coverage
/// cells and a list of near-duplicate times, each trimmed to the bounds of <see cref="ExtractionOptions"/> and
/// expiring after <paramref name="ttl"/> of silence (Redis's own eviction bounds the number of principals).
/// </summary>
public sealed class RedisExtractionStateStore(IDatabase database, ExtractionOptions options, TimeSpan ttl, string prefix = "rampart:guard:extraction:") : IExtractionStateStore
{
    private readonly IDatabase _db = database ?? throw new ArgumentNullException(nameof(database));
    private readonly ExtractionOptions _options = options ?? throw new ArgumentNullException(nameof(options));

    public async ValueTask<PrincipalQueries> GetAsync(string principal, CancellationToken cancellationToken)
    {
        var k = Keys(principal);
        var batch = _db.CreateBatch();
        var recent = batch.ListRangeAsync(k.Recent);
        var distances = batch.ListRangeAsync(k.Distances);
        var count = batch.StringGetAsync(k.Count);
        var cells = batch.SetLengthAsync(k.Cells);
        var near = batch.ListRangeAsync(k.Near);
        batch.Execute();
        await Task.WhenAll(recent, distances, count, cells, near).ConfigureAwait(false);
        return new PrincipalQueries(
            [.. recent.Result.Select(v => MemoryMarshal.Cast<byte, float>(((byte[])v!).AsSpan()).ToArray())],
            [.. distances.Result.Select(v => double.Parse(v.ToString(), CultureInfo.InvariantCulture))],
            count.Result.HasValue ? (long)count.Result : 0,
            (int)cells.Result,
            [.. near.Result.Select(v => new DateTimeOffset(long.Parse(v.ToString(), CultureInfo.InvariantCulture), TimeSpan.Zero))]);
    }

    public async ValueTask AddAsync(string principal, QueryRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        var k = Keys(principal);
        var batch = _db.CreateBatch();
        var tasks = new List<Task>
        {
            batch.ListRightPushAsync(k.Recent, MemoryMarshal.AsBytes(record.Vector.AsSpan()).ToArray()),
            batch.ListTrimAsync(k.Recent, -_options.MaxRecent, -1),
            batch.StringIncrementAsync(k.Count),
        };
        if (record.MinDistance is { } d)
        {
            tasks.Add(batch.ListRightPushAsync(k.Distances, d.ToString("R", CultureInfo.InvariantCulture)));
            tasks.Add(batch.ListTrimAsync(k.Distances, -_options.MaxDistances, -1));
        }

        if (record.NearDuplicate)
        {
            tasks.Add(batch.ListRightPushAsync(k.Near, record.At.UtcTicks.ToString(CultureInfo.InvariantCulture)));
            tasks.Add(batch.ListTrimAsync(k.Near, -_options.BurstCount * 2, -1));
        }

        batch.Execute();
        await Task.WhenAll(tasks).ConfigureAwait(false);
        if (await _db.SetLengthAsync(k.Cells).ConfigureAwait(false) < _options.MaxCells)
        {
            await _db.SetAddAsync(k.Cells, record.Cell).ConfigureAwait(false);
        }

        foreach (var key in new[] { k.Recent, k.Distances, k.Count, k.Cells, k.Near })
        {
            await _db.KeyExpireAsync(key, ttl).ConfigureAwait(false);
        }
    }

    private (RedisKey Recent, RedisKey Distances, RedisKey Count, RedisKey Cells, RedisKey Near) Keys(string principal)
    {
        var p = prefix + principal.Replace(":", "::", StringComparison.Ordinal) + ":";
        return (p + "q", p + "d", p + "n", p + "c", p + "t");
    }
}
