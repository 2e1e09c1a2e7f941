using System.Collections.Immutable;

namespace Rampart.Guard.Detectors.Extraction;

/// <summary>What the extraction detector remembers of one principal: recent queries, PRADA's distances, counts and recent near-duplicate times.</summary>
public sealed record PrincipalQueries(
    ImmutableArray<float[]> Recent,
    ImmutableArray<double> Distances,
    long Count,
    int DistinctCells,
    ImmutableArray<DateTimeOffset> NearDuplicates)
{
    public static PrincipalQueries Empty { get; } = new([], [], 0, 0, []);
}

/// <summary>One query to remember: its vector, its distance to the nearest earlier query for PRADA (none while too few earlier queries are remembered), its coverage cell.</summary>
public sealed record QueryRecord(float[] Vector, double? MinDistance, long Cell, bool NearDuplicate, DateTimeOffset At);

/// <summary>
/// Per-principal state of the extraction detector. In memory for one gateway, in Redis when replicas must see one
/// client as one. Implementations bound what they keep per principal (<see cref="ExtractionOptions"/>).
/// </summary>
public interface IExtractionStateStore
{
    ValueTask<PrincipalQueries> GetAsync(string principal, CancellationToken cancellationToken);

    ValueTask AddAsync(string principal, QueryRecord record, CancellationToken cancellationToken);
}

/// <summary>
/// The in-memory store: least-recently-used eviction over principals (at most <see cref="ExtractionOptions.MaxPrincipals"/>),
/// and per principal at most <see cref="ExtractionOptions.MaxRecent"/> vectors, <see cref="ExtractionOptions.MaxDistances"/>
/// distances and <see cref="ExtractionOptions.MaxCells"/> coverage cells. Thread-safe.
/// </summary>
public sealed class InMemoryExtractionStateStore(ExtractionOptions options) : IExtractionStateStore
{
    private readonly ExtractionOptions _options = options ?? throw new ArgumentNullException(nameof(options));
    private readonly Dictionary<string, LinkedListNode<(string Key, Entry Value)>> _map = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Key, Entry Value)> _lru = new();
    private readonly Lock _lock = new();

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _map.Count;
            }
        }
    }

    public ValueTask<PrincipalQueries> GetAsync(string principal, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(_map.TryGetValue(principal, out var node) ? node.Value.Value.Snapshot() : PrincipalQueries.Empty);
        }
    }

    public ValueTask AddAsync(string principal, QueryRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_lock)
        {
            if (_map.TryGetValue(principal, out var node))
            {
                _lru.Remove(node);
                _lru.AddFirst(node);
            }
            else
            {
                if (_map.Count >= _options.MaxPrincipals && _lru.Last is { } oldest)
                {
                    _map.Remove(oldest.Value.Key);
                    _lru.RemoveLast();
                }

                node = _lru.AddFirst((principal, new Entry(_options)));
                _map[principal] = node;
            }

            node.Value.Value.Add(record);
        }

        return ValueTask.CompletedTask;
    }

    private sealed class Entry(ExtractionOptions options)
    {
        private readonly Queue<float[]> _recent = new();
        private readonly Queue<double> _distances = new();
        private readonly HashSet<long> _cells = [];
        private readonly Queue<DateTimeOffset> _near = new();
        private long _count;

        public void Add(QueryRecord r)
        {
            _count++;
            Push(_recent, r.Vector, options.MaxRecent);
            if (r.MinDistance is { } d)
            {
                Push(_distances, d, options.MaxDistances);
            }

            if (_cells.Count < options.MaxCells)
            {
                _cells.Add(r.Cell);
            }

            if (r.NearDuplicate)
            {
                Push(_near, r.At, options.BurstCount * 2);
            }
        }

        public PrincipalQueries Snapshot() => new([.. _recent], [.. _distances], _count, _cells.Count, [.. _near]);

        private static void Push<T>(Queue<T> queue, T value, int max)
        {
            queue.Enqueue(value);
            while (queue.Count > max)
            {
                queue.Dequeue();
            }
        }
    }
}
