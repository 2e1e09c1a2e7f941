using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.InteropServices;
using StackExchange.Redis;

namespace Rampart.Guard.Detectors.Extraction;

/// <summary>
/// Per-principal extraction state in Redis, so that every gateway replica sees one client as one. Per principal: a
/// list of recent vectors (float32, little-endian), a list of minimum distances, a query counter, a set of coverage
/// cells and a list of near-duplicate times, each trimmed to the bounds of <see cref="ExtractionOptions"/> and
/// expiring after <paramref name="ttl"/> of silence (Redis's own eviction bounds the number of principals). Reads and
/// writes are Lua scripts, each atomic on the server: replicas see one client as one without lost or torn updates.
/// </summary>
public sealed class RedisExtractionStateStore(IDatabase database, ExtractionOptions options, TimeSpan ttl, string prefix = "rampart:guard:extraction:") : IExtractionStateStore
{
    private readonly IDatabase _db = database ?? throw new ArgumentNullException(nameof(database));
    private readonly ExtractionOptions _options = options ?? throw new ArgumentNullException(nameof(options));

    /// <summary>One consistent snapshot (a script, so no replica's update lands between the five reads).</summary>
    public async ValueTask<PrincipalQueries> GetAsync(string principal, CancellationToken cancellationToken)
    {
        var k = Keys(principal);
        var result = (RedisResult[])(await _db.ScriptEvaluateAsync(GetScript, [k.Recent, k.Distances, k.Count, k.Cells, k.Near]).ConfigureAwait(false))!;
        var count = (RedisValue)result[2];
        return new PrincipalQueries(
            [.. ((RedisValue[])result[0]!).Select(v => MemoryMarshal.Cast<byte, float>(((byte[])v!).AsSpan()).ToArray())],
            [.. ((RedisValue[])result[1]!).Select(v => double.Parse(v.ToString(), CultureInfo.InvariantCulture))],
            count.IsNull ? 0 : (long)count,
            (int)result[3],
            [.. ((RedisValue[])result[4]!).Select(v => new DateTimeOffset(long.Parse(v.ToString(), CultureInfo.InvariantCulture), TimeSpan.Zero))]);
    }

    private const string GetScript = """
        return { redis.call('LRANGE', KEYS[1], 0, -1), redis.call('LRANGE', KEYS[2], 0, -1), redis.call('GET', KEYS[3]),
                 redis.call('SCARD', KEYS[4]), redis.call('LRANGE', KEYS[5], 0, -1) }
        """;

    /// <summary>
    /// Records one query in a single Lua script, so the update is atomic: replicas adding queries of the same principal
    /// at the same moment cannot interleave between reading a bound and writing past it (the coverage-cell cap was
    /// read with SCARD and written with SADD in two round trips before), and no push, trim or counter step of one
    /// replica lands between another's.
    /// </summary>
    public async ValueTask AddAsync(string principal, QueryRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        var k = Keys(principal);
        RedisValue distance = record.MinDistance is { } d ? d.ToString("R", CultureInfo.InvariantCulture) : RedisValue.EmptyString;
        RedisValue near = record.NearDuplicate ? record.At.UtcTicks.ToString(CultureInfo.InvariantCulture) : RedisValue.EmptyString;
        await _db.ScriptEvaluateAsync(AddScript, [k.Recent, k.Distances, k.Count, k.Cells, k.Near],
        [
            MemoryMarshal.AsBytes(record.Vector.AsSpan()).ToArray(), distance, record.Cell, near,
            _options.MaxRecent, _options.MaxDistances, _options.MaxCells, _options.BurstCount * 2, (long)ttl.TotalMilliseconds,
        ]).ConfigureAwait(false);
    }

    // KEYS: recent, distances, count, cells, near. ARGV: vector, distance ('' for none), cell, near time ('' for none),
    // max recent, max distances, max cells, max near times, ttl in milliseconds.
    private const string AddScript = """
        redis.call('RPUSH', KEYS[1], ARGV[1])
        redis.call('LTRIM', KEYS[1], -tonumber(ARGV[5]), -1)
        redis.call('INCR', KEYS[3])
        if ARGV[2] ~= '' then
          redis.call('RPUSH', KEYS[2], ARGV[2])
          redis.call('LTRIM', KEYS[2], -tonumber(ARGV[6]), -1)
        end
        if redis.call('SCARD', KEYS[4]) < tonumber(ARGV[7]) then
          redis.call('SADD', KEYS[4], ARGV[3])
        end
        if ARGV[4] ~= '' then
          redis.call('RPUSH', KEYS[5], ARGV[4])
          redis.call('LTRIM', KEYS[5], -tonumber(ARGV[8]), -1)
        end
        for i = 1, 5 do
          redis.call('PEXPIRE', KEYS[i], ARGV[9])
        end
        return 1
        """;

    private (RedisKey Recent, RedisKey Distances, RedisKey Count, RedisKey Cells, RedisKey Near) Keys(string principal)
    {
        // The principal in a hash tag: all five keys land in one Redis Cluster slot, as a multi-key script requires.
        var p = prefix + "{" + principal.Replace(":", "::", StringComparison.Ordinal) + "}:";
        return (p + "q", p + "d", p + "n", p + "c", p + "t");
    }
}
